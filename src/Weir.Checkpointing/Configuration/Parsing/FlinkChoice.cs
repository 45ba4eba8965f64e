namespace Weir.Checkpointing.Configuration.Parsing;

/// <summary>
/// The names an enum option accepts: a canonical Flink name per value (shown in errors and in
/// <see cref="WeirOptions.Describe"/>) plus aliases Flink also accepts. Matching ignores case.
/// </summary>
internal sealed class FlinkChoice<T>
    where T : struct, Enum
{
    private readonly Dictionary<string, T> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<T, string> _canonical = [];

    public FlinkChoice(params (T Value, string Name, string[] Aliases)[] choices)
    {
        foreach (var (value, name, aliases) in choices)
        {
            _canonical[value] = name;
            _byName[name] = value;
            foreach (var alias in aliases)
            {
                _byName[alias] = value;
            }
        }

        Allowed = "expected one of " + string.Join(", ", choices.Select(c => c.Name));
    }

    /// <summary>"expected one of A, B, C": the end of a configuration error.</summary>
    public string Allowed { get; }

    public bool TryParse(string text, out T value) => _byName.TryGetValue(text.Trim(), out value);

    public string NameOf(T value) => _canonical.TryGetValue(value, out var name) ? name : value.ToString();
}
