using System.Buffers;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Weir.Storage.AzureBlob.Client;

/// <summary>How an upload buffers: block size, how many blocks may be in memory at once, and where buffers come from.</summary>
internal sealed record BlockUploadOptions(int BlockSize, int MaxBlocksInFlight, ArrayPool<byte> BufferPool)
{
    public const int DefaultBlockSize = 4 * 1024 * 1024;
    public const int DefaultMaxBlocksInFlight = 4;

    public static BlockUploadOptions Default { get; } = new(DefaultBlockSize, DefaultMaxBlocksInFlight, ArrayPool<byte>.Shared);
}

/// <summary>
/// One upload of a block blob, written as a stream and committed at the end.
///
/// Protocol: bytes fill a block buffer. Content that fits in one block is written by a single
/// Put Blob at commit. Otherwise each full block is staged by Put Block in the background as soon
/// as more bytes arrive after it, under an id unique to this upload, and the commit is one
/// Put Block List naming the ids in order; its preconditions (If-None-Match: * for create-only)
/// decide whether the blob appears. Staged blocks stay invisible until then, so an abandoned
/// upload leaves no committed blob (the service discards uncommitted blocks after a week).
///
/// Memory bound: a buffer is rented only after taking one of <see cref="BlockUploadOptions.MaxBlocksInFlight"/>
/// slots and the slot is freed only after the buffer is returned, so at most that many buffers
/// (the one being filled included) exist at any time; a writer that outpaces the uploads waits
/// for a slot. The first failed block fails the upload: later writes and the commit throw it.
/// </summary>
internal sealed class BlockBlobUpload : IAsyncDisposable
{
    private readonly BlobRestClient _client;
    private readonly string _container;
    private readonly string _blob;
    private readonly BlockUploadOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _abort;
    private readonly List<string> _blockIds = [];
    private readonly List<Task> _uploads = [];
    private readonly string _uploadId = Guid.NewGuid().ToString("N");
    private byte[]? _current;
    private int _filled;
    private Exception? _failure;
    private bool _finished;
    private bool _committed;
    private bool _disposed;

    internal BlockBlobUpload(BlobRestClient client, string container, string blob, BlockUploadOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBlocksInFlight, 1, nameof(options));
        _client = client;
        _container = container;
        _blob = blob;
        _options = options;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxBlocksInFlight, options.MaxBlocksInFlight);
        _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Stream = new UploadStream(this);
    }

    /// <summary>The stream content is written to. Disposing it does not commit or abandon the upload.</summary>
    public Stream Stream { get; }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Blocks staged (or being staged) so far.</summary>
    public int StagedBlocks => _blockIds.Count;

    /// <summary>Makes the content visible as the blob, if <paramref name="conditions"/> hold.</summary>
    public async Task<BlobCommit> CommitAsync(BlobConditions conditions = default, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ThrowIfFailed();
        _finished = true;
        if (_blockIds.Count == 0)
        {
            var content = _current is null ? ReadOnlyMemory<byte>.Empty : _current.AsMemory(0, _filled);
            var single = await _client.PutBlobAsync(_container, _blob, content, conditions, metadata, cancellationToken).ConfigureAwait(false);
            ReturnCurrent();
            _committed = true;
            return single;
        }

        if (_filled > 0)
        {
            StageCurrent();
        }
        else
        {
            ReturnCurrent();
        }

        await Task.WhenAll(_uploads).ConfigureAwait(false);
        ThrowIfFailed();
        var committed = await _client.PutBlockListAsync(_container, _blob, _blockIds, conditions, metadata, cancellationToken).ConfigureAwait(false);
        _committed = true;
        return committed;
    }

    /// <summary>Abandons an uncommitted upload: stops staging, waits for in-flight blocks, returns every buffer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _finished = true;
        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_uploads).ConfigureAwait(false);
        ReturnCurrent();
        if (!_committed && _blockIds.Count > 0)
        {
            BlobClientLog.UploadAbandoned(_logger, BlobRestClient.PathOf(_container, _blob), _blockIds.Count, Length);
        }

        _abort.Dispose();
        _slots.Dispose();
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ThrowIfFailed();
        while (!data.IsEmpty)
        {
            if (NeedsBuffer())
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
                try
                {
                    await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_failure is not null)
                {
                    ThrowIfFailed();
                }

                Rent();
            }

            data = data[Append(data.Span)..];
        }
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ThrowIfFailed();
        while (!data.IsEmpty)
        {
            if (NeedsBuffer())
            {
                // Synchronous writers (BinaryWriter, say) block here while a slot frees up; uploads never need this thread.
                try
                {
                    _slots.Wait(_abort.Token);
                }
                catch (OperationCanceledException) when (_failure is not null)
                {
                    ThrowIfFailed();
                }

                Rent();
            }

            data = data[Append(data)..];
        }
    }

    // A full block is staged only once more bytes arrive: content of exactly one block stays a single Put Blob.
    private bool NeedsBuffer()
    {
        if (_current is not null && _filled == _options.BlockSize)
        {
            StageCurrent();
        }

        return _current is null;
    }

    // Called holding a slot.
    private void Rent()
    {
        _current = _options.BufferPool.Rent(_options.BlockSize);
        _filled = 0;
    }

    private int Append(ReadOnlySpan<byte> data)
    {
        var count = Math.Min(_options.BlockSize - _filled, data.Length);
        data[..count].CopyTo(_current.AsSpan(_filled));
        _filled += count;
        Length += count;
        return count;
    }

    private void StageCurrent()
    {
        if (_blockIds.Count == BlobRestClient.MaxBlocksPerBlob)
        {
            throw new InvalidOperationException(
                $"'{BlobRestClient.PathOf(_container, _blob)}' would need more than {BlobRestClient.MaxBlocksPerBlob} blocks of {_options.BlockSize} bytes; raise the block size.");
        }

        // Ids of one blob must all have the same length: upload id + fixed-width index, 39 ASCII bytes.
        var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_uploadId}-{_blockIds.Count.ToString("D6", CultureInfo.InvariantCulture)}"));
        _blockIds.Add(blockId);
        var buffer = _current!;
        var length = _filled;
        _current = null;
        _filled = 0;
        _uploads.Add(Task.Run(() => UploadBlockAsync(blockId, buffer, length)));
    }

    private async Task UploadBlockAsync(string blockId, byte[] buffer, int length)
    {
        try
        {
            await _client.PutBlockAsync(_container, _blob, blockId, buffer.AsMemory(0, length), leaseId: null, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (Interlocked.CompareExchange(ref _failure, e, null) is null)
            {
                _abort.Cancel();
            }
        }
        finally
        {
            _options.BufferPool.Return(buffer);
            _slots.Release();
        }
    }

    private void ReturnCurrent()
    {
        if (_current is { } buffer)
        {
            _current = null;
            _filled = 0;
            _options.BufferPool.Return(buffer);
            _slots.Release();
        }
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>The write-only face of the upload handed to content callbacks.</summary>
    private sealed class UploadStream(BlockBlobUpload upload) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => upload.Length;

        public override long Position
        {
            get => upload.Length;
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => upload.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            upload.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => upload.Write(buffer);

        public override void WriteByte(byte value) => Write([value]);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
