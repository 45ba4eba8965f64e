using Weir.Streaming.Functions;
using Weir.Streaming.State;
using Weir.Streaming.Windowing;

namespace Weir.Streaming.Api;

/// <summary>A record of one of two joined streams.</summary>
public sealed record Either<TLeft, TRight>(bool IsLeft, TLeft? Left, TRight? Right)
{
    /// <summary>A left record.</summary>
    public static Either<TLeft, TRight> OfLeft(TLeft left) => new(true, left, default);

    /// <summary>A right record.</summary>
    public static Either<TLeft, TRight> OfRight(TRight right) => new(false, default, right);
}

/// <summary>The start of a windowed join (Flink's JoinedStreams): <c>left.Join(right).Where(...).EqualTo(...).Window(...).Apply(...)</c>.</summary>
public sealed class JoinedStreams<TLeft, TRight>(DataStream<TLeft> left, DataStream<TRight> right)
{
    /// <summary>The key of left records.</summary>
    public JoinWhere<TLeft, TRight, TKey> Where<TKey>(Func<TLeft, TKey> leftKey)
        where TKey : notnull => new(left, right, leftKey);

    internal static DataStream<Either<TLeft, TRight>> Tagged(DataStream<TLeft> left, DataStream<TRight> right) =>
        left.Map(Either<TLeft, TRight>.OfLeft, "Join: left").Union(right.Map(Either<TLeft, TRight>.OfRight, "Join: right"));
}

/// <summary>A join with its left key.</summary>
public sealed class JoinWhere<TLeft, TRight, TKey>(DataStream<TLeft> left, DataStream<TRight> right, Func<TLeft, TKey> leftKey)
    where TKey : notnull
{
    /// <summary>The key of right records; records join when keys are equal.</summary>
    public JoinEqualTo<TLeft, TRight, TKey> EqualTo(Func<TRight, TKey> rightKey) => new(left, right, leftKey, rightKey);
}

/// <summary>A join with both keys.</summary>
public sealed class JoinEqualTo<TLeft, TRight, TKey>(DataStream<TLeft> left, DataStream<TRight> right, Func<TLeft, TKey> leftKey, Func<TRight, TKey> rightKey)
    where TKey : notnull
{
    /// <summary>Joins records of the same key that fall into the same window.</summary>
    public WindowedJoin<TLeft, TRight, TKey> Window(WindowAssigner assigner) => new(left, right, leftKey, rightKey, assigner);
}

/// <summary>A windowed join, ready to apply its join function.</summary>
public sealed class WindowedJoin<TLeft, TRight, TKey>(DataStream<TLeft> left, DataStream<TRight> right, Func<TLeft, TKey> leftKey, Func<TRight, TKey> rightKey, WindowAssigner assigner)
    where TKey : notnull
{
    /// <summary>Emits <paramref name="join"/> of every pair of a left and a right record with equal keys in one window.</summary>
    public DataStream<TOut> Apply<TOut>(Func<TLeft, TRight, TOut> join, string name = "Window Join") =>
        JoinedStreams<TLeft, TRight>.Tagged(left, right)
            .KeyBy(e => e.IsLeft ? leftKey(e.Left!) : rightKey(e.Right!))
            .Window(assigner)
            .Process(
                new ProcessWindowFunctionAdapter<Either<TLeft, TRight>, TOut, TKey>((_, _, elements, output) =>
                {
                    var all = elements as IReadOnlyList<Either<TLeft, TRight>> ?? elements.ToArray();
                    foreach (var l in all.Where(e => e.IsLeft))
                    {
                        foreach (var r in all.Where(e => !e.IsLeft))
                        {
                            output.Collect(join(l.Left!, r.Right!));
                        }
                    }
                }),
                name);
}

/// <summary>The start of an interval join (Flink's KeyedStream.intervalJoin): <c>left.IntervalJoin(right).Between(lower, upper).Process(...)</c>.</summary>
public sealed class IntervalJoin<TKey, TLeft, TRight>(KeyedStream<TKey, TLeft> left, KeyedStream<TKey, TRight> right)
    where TKey : notnull
{
    /// <summary>Joins a left record at t with right records at times in [t + lower, t + upper] (event time).</summary>
    public Bounded Between(TimeSpan lower, TimeSpan upper) =>
        lower <= upper ? new(left, right, (long)lower.TotalMilliseconds, (long)upper.TotalMilliseconds) : throw new ArgumentException($"The lower bound {lower} must not exceed the upper bound {upper}.", nameof(lower));

    /// <summary>An interval join with its bounds.</summary>
    public sealed class Bounded(KeyedStream<TKey, TLeft> left, KeyedStream<TKey, TRight> right, long lower, long upper)
    {
        /// <summary>Emits <paramref name="join"/> of every matching pair, with the later of the two timestamps.</summary>
        public DataStream<TOut> Process<TOut>(Func<TLeft, TRight, TOut> join, string name = "Interval Join")
        {
            var (leftKey, rightKey) = (left.KeySelector, right.KeySelector);
            return JoinedStreams<TLeft, TRight>.Tagged(left, right)
                .KeyBy(e => e.IsLeft ? leftKey(e.Left!) : rightKey(e.Right!))
                .Process(new IntervalJoinFunction<TKey, TLeft, TRight, TOut>(lower, upper, join), name);
        }
    }
}

/// <summary>
/// Buffers both sides per key by timestamp; each arriving record joins with the buffered records
/// of the other side in its interval. A buffered record is dropped once the watermark shows no
/// future record of the other side can match it; records behind the watermark are late and dropped.
/// </summary>
internal sealed class IntervalJoinFunction<TKey, TLeft, TRight, TOut>(long lower, long upper, Func<TLeft, TRight, TOut> join)
    : KeyedProcessFunction<TKey, Either<TLeft, TRight>, TOut>
    where TKey : notnull
{
    private IMapState<long, TLeft[]>? _left;
    private IMapState<long, TRight[]>? _right;

    public override void Open(IKeyedRuntimeContext context)
    {
        _left = context.GetMapState(new MapStateDescriptor<long, TLeft[]>("interval-join-left"));
        _right = context.GetMapState(new MapStateDescriptor<long, TRight[]>("interval-join-right"));
    }

    public override void ProcessElement(Either<TLeft, TRight> value, Context context, ICollector<TOut> output)
    {
        var t = context.Timestamp ?? throw new InvalidOperationException("An interval join needs event timestamps: assign them with AssignTimestampsAndWatermarks(...) upstream.");
        var watermark = context.TimerService.CurrentWatermark;
        if (t <= watermark)
        {
            return;
        }

        if (value.IsLeft)
        {
            Append(_left!, t, value.Left!);
            foreach (var (rt, rights) in _right!.Entries())
            {
                if (rt >= t + lower && rt <= t + upper)
                {
                    foreach (var r in rights)
                    {
                        output.Collect(join(value.Left!, r));
                    }
                }
            }

            context.TimerService.RegisterEventTimeTimer(t + upper);
        }
        else
        {
            Append(_right!, t, value.Right!);
            foreach (var (lt, lefts) in _left!.Entries())
            {
                if (t >= lt + lower && t <= lt + upper)
                {
                    foreach (var l in lefts)
                    {
                        output.Collect(join(l, value.Right!));
                    }
                }
            }

            context.TimerService.RegisterEventTimeTimer(t - lower);
        }
    }

    public override void OnTimer(long timestamp, Context context, ICollector<TOut> output)
    {
        foreach (var lt in _left!.Entries().Select(e => e.Key).Where(lt => lt + upper <= timestamp).ToArray())
        {
            _left.Remove(lt);
        }

        foreach (var rt in _right!.Entries().Select(e => e.Key).Where(rt => rt - lower <= timestamp).ToArray())
        {
            _right.Remove(rt);
        }
    }

    private static void Append<T>(IMapState<long, T[]> buffer, long timestamp, T record) =>
        buffer.Put(timestamp, buffer.TryGetValue(timestamp, out var existing) ? [.. existing, record] : [record]);
}
