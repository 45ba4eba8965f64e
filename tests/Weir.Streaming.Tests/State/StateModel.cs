using Weir.Streaming.State;

namespace Weir.Streaming.Tests.State;

/// <summary>
/// A reference model of four keyed states (value, list, map, reducing) over a fixed key universe,
/// and the random operations that drive a backend and the model alike.
/// </summary>
internal sealed class StateModel
{
    public static readonly string[] Keys = [.. Enumerable.Range(0, 40).Select(i => $"key-{i}")];

    private readonly Dictionary<string, string> _values = [];
    private readonly Dictionary<string, List<string>> _lists = [];
    private readonly Dictionary<string, Dictionary<string, int>> _maps = [];
    private readonly Dictionary<string, string> _reduced = [];

    public StateModel Clone()
    {
        var copy = new StateModel();
        foreach (var (k, v) in _values)
        {
            copy._values[k] = v;
        }

        foreach (var (k, v) in _lists)
        {
            copy._lists[k] = [.. v];
        }

        foreach (var (k, v) in _maps)
        {
            copy._maps[k] = new Dictionary<string, int>(v);
        }

        foreach (var (k, v) in _reduced)
        {
            copy._reduced[k] = v;
        }

        return copy;
    }

    /// <summary>Applies one random operation to the backend's states and to the model; returns what it did.</summary>
    public string ApplyRandom(Random random, States states) => ApplyRandom(random, _ => states);

    /// <summary>Copies <paramref name="key"/>'s entries of every state from <paramref name="other"/>, replacing this model's.</summary>
    public void CopyKeyFrom(StateModel other, string key)
    {
        _values.Remove(key);
        _lists.Remove(key);
        _maps.Remove(key);
        _reduced.Remove(key);
        if (other._values.TryGetValue(key, out var value))
        {
            _values[key] = value;
        }

        if (other._lists.TryGetValue(key, out var list))
        {
            _lists[key] = [.. list];
        }

        if (other._maps.TryGetValue(key, out var map))
        {
            _maps[key] = new Dictionary<string, int>(map);
        }

        if (other._reduced.TryGetValue(key, out var reduced))
        {
            _reduced[key] = reduced;
        }
    }

    /// <summary>Applies one random operation to the states of the backend that <paramref name="route"/> picks for the key, and to the model.</summary>
    public string ApplyRandom(Random random, Func<string, States> route)
    {
        var key = Keys[random.Next(Keys.Length)];
        var states = route(key);
        states.Backend.SetCurrentKey(key);
        var item = $"i{random.Next(100)}";
        switch (random.Next(11))
        {
            case 0:
                states.Value.Update(item);
                _values[key] = item;
                return $"{key}: value = {item}";
            case 1:
                states.Value.Clear();
                _values.Remove(key);
                return $"{key}: value cleared";
            case 2:
                states.List.Add(item);
                List(key).Add(item);
                return $"{key}: list += {item}";
            case 3:
                string[] items = [.. Enumerable.Range(0, random.Next(0, 3)).Select(i => $"{item}.{i}")];
                states.List.AddAll(items);
                List(key).AddRange(items);
                return $"{key}: list += [{string.Join(", ", items)}]";
            case 4:
                string[] replacement = [.. Enumerable.Range(0, random.Next(0, 3)).Select(i => $"{item}/{i}")];
                states.List.Update(replacement);
                _lists[key] = [.. replacement];
                return $"{key}: list = [{string.Join(", ", replacement)}]";
            case 5:
                states.List.Clear();
                _lists.Remove(key);
                return $"{key}: list cleared";
            case 6:
            case 7:
                var mapKey = $"m{random.Next(5)}";
                var number = random.Next(1000);
                states.Map.Put(mapKey, number);
                Map(key)[mapKey] = number;
                return $"{key}: map[{mapKey}] = {number}";
            case 8:
                var removed = $"m{random.Next(5)}";
                states.Map.Remove(removed);
                Map(key).Remove(removed);
                return $"{key}: map remove {removed}";
            case 9:
                states.Reduced.Add(item);
                _reduced[key] = _reduced.TryGetValue(key, out var current) ? Concat(current, item) : item;
                return $"{key}: reduce {item}";
            default:
                states.Map.Clear();
                states.Reduced.Clear();
                _maps.Remove(key);
                _reduced.Remove(key);
                return $"{key}: map and reduced cleared";
        }
    }

    /// <summary>Asserts that every key reads, through <paramref name="states"/>, what the model holds.</summary>
    public void AssertMatches(States states, string context)
    {
        foreach (var key in Keys)
        {
            if (!states.Backend.Range.Contains(KeyGroupAssigner.KeyGroupFor(key, states.Backend.MaxParallelism)))
            {
                continue;
            }

            AssertKey(states, key, context);
        }
    }

    public void AssertKey(States states, string key, string context)
    {
        states.Backend.SetCurrentKey(key);
        Assert.True(_values.GetValueOrDefault(key) == states.Value.Value, $"{context}: value of {key} is {states.Value.Value ?? "null"}, expected {_values.GetValueOrDefault(key) ?? "null"}");
        var list = _lists.GetValueOrDefault(key) ?? [];
        Assert.True(list.SequenceEqual(states.List.Get()), $"{context}: list of {key} is [{string.Join(", ", states.List.Get())}], expected [{string.Join(", ", list)}]");
        var map = _maps.GetValueOrDefault(key) ?? [];
        var actualMap = states.Map.Entries().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}");
        var expectedMap = map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}");
        Assert.True(expectedMap.SequenceEqual(actualMap), $"{context}: map of {key} is {{{string.Join(", ", actualMap)}}}, expected {{{string.Join(", ", expectedMap)}}}");
        Assert.True(_reduced.GetValueOrDefault(key) == states.Reduced.Get(), $"{context}: reduced of {key} is {states.Reduced.Get() ?? "null"}, expected {_reduced.GetValueOrDefault(key) ?? "null"}");
    }

    public static string Concat(string a, string b) => $"{a},{b}";

    /// <summary>Records a value set directly on the backend.</summary>
    public void SetValue(string key, string value) => _values[key] = value;

    private List<string> List(string key) => _lists.TryGetValue(key, out var list) ? list : _lists[key] = [];

    private Dictionary<string, int> Map(string key) => _maps.TryGetValue(key, out var map) ? map : _maps[key] = [];

    /// <summary>The four states registered on a backend.</summary>
    internal sealed record States(
        HeapKeyedStateBackend<string> Backend,
        IValueState<string> Value,
        IListState<string> List,
        IMapState<string, int> Map,
        IReducingState<string> Reduced)
    {
        public static States Register(HeapKeyedStateBackend<string> backend) => new(
            backend,
            backend.GetValueState(new ValueStateDescriptor<string>("value")),
            backend.GetListState(new ListStateDescriptor<string>("list")),
            backend.GetMapState(new MapStateDescriptor<string, int>("map")),
            backend.GetReducingState(new ReducingStateDescriptor<string>("reduced", Concat)));
    }
}
