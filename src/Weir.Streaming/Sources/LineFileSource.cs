using System.Text;
using Weir.Streaming.Functions;

namespace Weir.Streaming.Sources;

/// <summary>
/// Reads a text file line by line (UTF-8, '\n' or "\r\n"), as one split at one subtask; the split
/// is the byte offset of the next line, so a restore resumes at exactly that line. Bounded: it
/// finishes at the end of the file.
/// </summary>
public sealed class LineFileSource(string path) : SourceFunction<string, LineFileSource.Split>
{
    private const int BufferSize = 64 * 1024;
    private Split? _split;
    private FileStream? _stream;
    private byte[] _buffer = new byte[BufferSize];
    private int _bufferStart;
    private int _bufferEnd;
    private long _bufferOffset;

    /// <inheritdoc />
    public override IEnumerable<Split> CreateSplits(int subtaskIndex, int parallelism) =>
        subtaskIndex == 0 ? [new Split(Path.GetFullPath(path), 0)] : [];

    /// <inheritdoc />
    public override void Open(IReadOnlyList<Split> splits, SourceContext context)
    {
        _split = splits.FirstOrDefault();
        if (_split is null)
        {
            return;
        }

        try
        {
            _stream = new FileStream(_split.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"The line-file source cannot read '{_split.Path}': it does not exist.", _split.Path, e);
        }

        if (_split.Offset > _stream.Length)
        {
            throw new InvalidOperationException($"The checkpointed offset {_split.Offset} is past the end of '{_split.Path}' ({_stream.Length} bytes): the file was replaced or truncated.");
        }

        _stream.Seek(_split.Offset, SeekOrigin.Begin);
        _bufferOffset = _split.Offset;
    }

    /// <inheritdoc />
    public override SourceStatus Poll(ISourceOutput<string> output, int maxRecords)
    {
        if (_split is null || _stream is null)
        {
            return SourceStatus.Finished;
        }

        for (var emitted = 0; emitted < maxRecords; emitted++)
        {
            if (!TryReadLine(out var line))
            {
                return SourceStatus.Finished;
            }

            output.Collect(line);
        }

        return SourceStatus.MoreAvailable;
    }

    /// <inheritdoc />
    public override IEnumerable<Split> SnapshotSplits() => _split is null ? [] : [_split with { Offset = _bufferOffset + _bufferStart }];

    /// <inheritdoc />
    public override void Close() => _stream?.Dispose();

    private bool TryReadLine(out string line)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _bufferStart, _bufferEnd - _bufferStart);
            if (newline >= 0)
            {
                line = Decode(_bufferStart, newline);
                _bufferStart = newline + 1;
                return true;
            }

            if (!Fill())
            {
                // The last line may lack a newline.
                if (_bufferEnd > _bufferStart)
                {
                    line = Decode(_bufferStart, _bufferEnd);
                    _bufferStart = _bufferEnd;
                    return true;
                }

                line = string.Empty;
                return false;
            }
        }
    }

    private string Decode(int start, int end)
    {
        if (end > start && _buffer[end - 1] == '\r')
        {
            end--;
        }

        return Encoding.UTF8.GetString(_buffer, start, end - start);
    }

    private bool Fill()
    {
        if (_bufferStart > 0)
        {
            Buffer.BlockCopy(_buffer, _bufferStart, _buffer, 0, _bufferEnd - _bufferStart);
            _bufferOffset += _bufferStart;
            _bufferEnd -= _bufferStart;
            _bufferStart = 0;
        }

        if (_bufferEnd == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = _stream!.Read(_buffer, _bufferEnd, _buffer.Length - _bufferEnd);
        _bufferEnd += read;
        return read > 0;
    }

    /// <summary>The file and the byte offset of the next line.</summary>
    public sealed record Split(string Path, long Offset);
}
