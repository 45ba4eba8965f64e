using System.Text;

namespace Weir.Streaming.Sinks;

/// <summary>
/// Writes records as lines to files in a directory, exactly once: each transaction becomes the
/// file <c>part-&lt;transaction&gt;.txt</c>, written under a temporary name and renamed into place on
/// commit, so a committed part appears whole and once (the rename is skipped if the part exists).
/// </summary>
public sealed class FileSink<T>(string directory, Func<T, string>? format = null) : TransactionalSink<T>
{
    /// <inheritdoc />
    protected override void Commit(string transactionId, IReadOnlyList<T> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, $"part-{transactionId}.txt");
        if (File.Exists(target))
        {
            return;
        }

        var temporary = Path.Combine(directory, $".part-{transactionId}.{Guid.NewGuid():N}.inprogress");
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(format is null ? record?.ToString() : format(record)).Append('\n');
        }

        File.WriteAllText(temporary, text.ToString());
        try
        {
            File.Move(temporary, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(temporary);
        }
    }
}
