namespace Weir.Storage;

/// <summary>
/// Paths inside a checkpoint store: relative, '/'-separated, no empty, '.' or '..' segments,
/// no backslashes or control characters. The same path names the same file on every store.
/// </summary>
public static class StoragePath
{
    /// <summary>Joins segments with '/'.</summary>
    public static string Combine(params string[] segments) => string.Join('/', segments.Where(s => s.Length > 0).Select(s => s.Trim('/')));

    /// <summary>Checks a file path; throws naming the path and the rule it breaks.</summary>
    public static string Validate(string path, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return allowEmpty ? path : throw Invalid(path, "it is empty");
        }

        if (path.StartsWith('/') || path.EndsWith('/'))
        {
            throw Invalid(path, "it must be relative, without a leading or trailing '/'");
        }

        foreach (var c in path)
        {
            if (c == '\\' || char.IsControl(c))
            {
                throw Invalid(path, "it must not contain '\\' or control characters");
            }
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                throw Invalid(path, "its segments must be non-empty and not '.' or '..'");
            }
        }

        return path;
    }

    /// <summary>The parent directory of a path ("" at the root).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    /// <summary>The last segment of a path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static ArgumentException Invalid(string path, string rule) =>
        new($"Checkpoint store path '{path}' is not valid: {rule}.", nameof(path));
}
