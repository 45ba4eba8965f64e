using Weir.Checkpointing.Configuration;
using Weir.Hosting;
using Weir.Hosting.Jobs;
using Weir.Streaming.Api;
using Weir.Streaming.Functions;
using Weir.Streaming.Graph;
using Weir.Streaming.Inspection;
using Weir.Streaming.Sinks;
using Weir.Streaming.Sources;
using Weir.Streaming.State;

namespace Weir.Jobs;

/// <summary>
/// The exactly-once verifier, after Flink's fault-tolerance suites:
/// <list type="bullet">
/// <item>a source emits (partition, sequence) pairs, sequences 0, 1, 2, … per partition;</item>
/// <item>a keyed operator keeps a running count per partition and passes it on;</item>
/// <item>a validating operator, keyed by partition, keeps per partition how many distinct
/// sequences it saw, duplicates, out-of-order arrivals and running-count mismatches, in
/// checkpointed state, so its verdict covers every run since the job first started.</item>
/// </list>
/// When the job stops, a final checkpoint is taken; the verdict compares what the source had
/// emitted at that checkpoint with what the validator had seen at the same cut. Any record lost,
/// duplicated or reordered by a failure, a restart or a restore shows up.
/// </summary>
public sealed class ExactlyOnceCheckJob : BuiltInJob
{
    /// <summary>The source's uid.</summary>
    public const string SourceUid = "sequence-source";

    /// <summary>The validator's uid.</summary>
    public const string ValidatorUid = "validator";

    /// <summary>The validator's state name.</summary>
    public const string ValidatorState = "verdict";

    /// <inheritdoc />
    public override string Name => "exactly-once-check";

    /// <inheritdoc />
    public override string Description => "verifies exactly-once under failures (--fail-every <duration>); prints lost/duplicated/out-of-order";

    /// <inheritdoc />
    public override IEnumerable<(string Key, string Value)> DefaultSettings(JobParameters parameters) =>
        parameters.FailEvery is null ? [] : [("restart-strategy.type", "fixed-delay"), ("restart-strategy.fixed-delay.attempts", "1000000"), ("restart-strategy.fixed-delay.delay", "100ms")];

    /// <inheritdoc />
    public override JobRun Create(JobParameters parameters, WeirOptions options)
    {
        var parallelism = parameters.Parallelism ?? options.Pipeline.DefaultParallelism;
        var injector = new FailureInjector([("running-count", parallelism), (ValidatorUid, parallelism)], parameters.Seed);
        var env = StreamExecutionEnvironment.Create(parallelism, options.Pipeline.MaxParallelism, options.Pipeline.OperatorChaining);
        env.AddSource(new GeneratorSource<SequenceRecord>((partition, index) => new SequenceRecord(partition, index, 0), parameters.Partitions ?? 16, recordsPerSecond: parameters.RecordsPerSecond), "sequences")
            .Uid(SourceUid)
            .KeyBy(r => r.Partition)
            .Process(new RunningCount(injector), "running-count")
            .Uid("running-count")
            .KeyBy(r => r.Partition)
            .Process(new Validator(injector), "validate")
            .Uid(ValidatorUid)
            .AddSink(new DiscardingSink<SequenceRecord>(), "discard")
            .Uid("discard");
        return new Run(env.Build(Name), injector, parameters.FailEvery);
    }

    /// <summary>Compares the source's positions and the validator's counts in the final checkpoint.</summary>
    public static async Task<Verdict> VerifyAsync(JobReportContext context, int failuresInjected)
    {
        if (context.FinalCheckpoint is not { } checkpoint)
        {
            return new Verdict(0, 0, 0, 0, failuresInjected, Complete: false);
        }

        var emitted = CheckpointReader.ReadOperatorListState<GeneratorSource<SequenceRecord>.Split>(checkpoint.Metadata, SourceUid, "source-splits")
            .ToDictionary(s => s.Partition, s => s.NextIndex);
        var seen = await CheckpointReader.ReadKeyedValueStateAsync<int, PartitionVerdict>(context.Store, checkpoint.Metadata, ValidatorUid, ValidatorState);
        long records = 0, lost = 0, duplicated = 0, outOfOrder = 0;
        foreach (var (partition, next) in emitted)
        {
            records += next;
            var verdict = seen.GetValueOrDefault(partition) ?? new PartitionVerdict(0, 0, 0, 0, 0, []);
            var missing = next - verdict.Distinct;
            lost += Math.Max(0, missing);
            duplicated += verdict.Duplicates + verdict.CountMismatches + Math.Max(0, -missing);
            outOfOrder += verdict.OutOfOrder;
        }

        return new Verdict(records, lost, duplicated, outOfOrder, failuresInjected, Complete: true);
    }

    /// <summary>A run of the check: injects failures while it runs, and prints the verdict at the end.</summary>
    public sealed class Run(JobGraph graph, FailureInjector injector, TimeSpan? failEvery) : JobRun(graph)
    {
        /// <summary>The run's failure injector.</summary>
        public FailureInjector Injector { get; } = injector;

        /// <inheritdoc />
        public override IAsyncDisposable? Start(JobHandle job, TimeProvider clock) => failEvery is { } period ? Injector.Start(period, clock) : null;

        /// <inheritdoc />
        public override async Task<int> ReportAsync(JobReportContext context, TextWriter output)
        {
            var verdict = await VerifyAsync(context, Injector.Injected);
            output.WriteLine(verdict.Line(context.Status.Restarts));
            return verdict.Passed(exactlyOnce: context.Mode == CheckpointingMode.ExactlyOnce) ? 0 : 1;
        }
    }

    /// <summary>The verdict of a run.</summary>
    public sealed record Verdict(long Records, long Lost, long Duplicated, long OutOfOrder, int Failures, bool Complete)
    {
        /// <summary>The final line, exactly as documented.</summary>
        public string Line(int restarts) =>
            $"exactly-once-check: records={Records} lost={Lost} duplicated={Duplicated} out-of-order={OutOfOrder} failures={Failures} restarts={restarts}";

        /// <summary>Exactly-once: nothing lost, duplicated or reordered. At-least-once: nothing lost.</summary>
        public bool Passed(bool exactlyOnce) => Complete && Lost == 0 && (!exactlyOnce || (Duplicated == 0 && OutOfOrder == 0));
    }

    /// <summary>A record of the check: partition, sequence, and the running count after it.</summary>
    public sealed record SequenceRecord(int Partition, long Sequence, long RunningCount);

    /// <summary>What the validator knows of one partition.</summary>
    public sealed record PartitionVerdict(long Distinct, long Next, long Duplicates, long OutOfOrder, long CountMismatches, long[] Gaps);

    /// <summary>
    /// Counts records per partition in keyed state and stamps the count on each record; failure
    /// points for processing, snapshot, restore and close, named by <paramref name="uid"/>.
    /// </summary>
    public sealed class RunningCount(FailureInjector injector, string uid = "running-count") : KeyedProcessFunction<int, SequenceRecord, SequenceRecord>
    {
        private readonly string _uid = uid;
        private IValueState<long>? _count;
        private int _subtask;

        /// <inheritdoc />
        public override void Open(IKeyedRuntimeContext context)
        {
            _subtask = context.SubtaskIndex;
            injector.Check(FailurePoint.Restore, _uid, _subtask, context.IsRestored);
            _count = context.GetState(new ValueStateDescriptor<long>("count"));
        }

        /// <inheritdoc />
        public override void ProcessElement(SequenceRecord value, Context context, ICollector<SequenceRecord> output)
        {
            injector.Check(FailurePoint.Process, _uid, _subtask);
            var count = _count!.Value + 1;
            _count.Update(count);
            output.Collect(value with { RunningCount = count });
        }

        /// <inheritdoc />
        public override void SnapshotState(long checkpointId) => injector.Check(FailurePoint.Snapshot, _uid, _subtask);

        /// <inheritdoc />
        public override void Close() => injector.Check(FailurePoint.Close, _uid, _subtask);
    }

    /// <summary>Checks each partition's sequence: it must arrive in order, once, with a matching running count.</summary>
    internal sealed class Validator(FailureInjector injector) : KeyedProcessFunction<int, SequenceRecord, SequenceRecord>
    {
        private IValueState<PartitionVerdict>? _verdict;
        private int _subtask;

        public override void Open(IKeyedRuntimeContext context)
        {
            _subtask = context.SubtaskIndex;
            injector.Check(FailurePoint.Restore, ValidatorUid, _subtask, context.IsRestored);
            _verdict = context.GetState(new ValueStateDescriptor<PartitionVerdict>(ValidatorState));
        }

        public override void ProcessElement(SequenceRecord value, Context context, ICollector<SequenceRecord> output)
        {
            injector.Check(FailurePoint.Process, ValidatorUid, _subtask);
            var v = _verdict!.Value ?? new PartitionVerdict(0, 0, 0, 0, 0, []);
            var seq = value.Sequence;
            var mismatch = value.RunningCount != seq + 1 ? 1 : 0;
            if (seq == v.Next)
            {
                v = v with { Distinct = v.Distinct + 1, Next = seq + 1 };
            }
            else if (seq > v.Next)
            {
                // A jump: the skipped sequences are gaps until (if ever) they arrive.
                var gaps = v.Gaps.Concat(Range(v.Next, seq)).Take(10_000).ToArray();
                v = v with { Distinct = v.Distinct + 1, Next = seq + 1, OutOfOrder = v.OutOfOrder + 1, Gaps = gaps };
            }
            else if (Array.IndexOf(v.Gaps, seq) >= 0)
            {
                v = v with { Distinct = v.Distinct + 1, OutOfOrder = v.OutOfOrder + 1, Gaps = v.Gaps.Where(g => g != seq).ToArray() };
            }
            else
            {
                v = v with { Duplicates = v.Duplicates + 1 };
            }

            _verdict.Update(v with { CountMismatches = v.CountMismatches + mismatch });
            output.Collect(value);
        }

        public override void SnapshotState(long checkpointId) => injector.Check(FailurePoint.Snapshot, ValidatorUid, _subtask);

        private static IEnumerable<long> Range(long from, long toExclusive)
        {
            for (var s = from; s < toExclusive && s - from < 10_000; s++)
            {
                yield return s;
            }
        }
    }
}
