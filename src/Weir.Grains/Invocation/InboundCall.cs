using Weir.Grains.Transport;
using Weir.Grains.Wire;
using Weir.Serialization;

namespace Weir.Grains.Invocation;

/// <summary>
/// A grain call that arrived over a connection (from another silo or a client), as a message for
/// the local activation: its arguments stay encoded until its turn decodes them, and its
/// outcome goes back over the connection as a Response with the caller's correlation id. If this
/// silo does not own the grain, the same message is forwarded: its encoded arguments go on as
/// they are, and the owner's response is relayed back unchanged.
/// </summary>
internal sealed class InboundCall(
    GrainMethodInvoker invoker,
    byte[] arguments,
    ulong correlationId,
    byte arrivedForwardCount,
    Connection replyTo,
    CallDeadline deadline) : Message(deadline)
{
    private int _completed;

    public override bool IsCompleted => Volatile.Read(ref _completed) == 1;

    public override GrainMethod WireMethod => invoker.Wire;

    public override bool AlwaysInterleaves => invoker.AlwaysInterleaves;

    public override byte ForwardCount => (byte)Math.Min(byte.MaxValue, arrivedForwardCount + 1);

    public override Task Invoke(Grain grain) => invoker.InvokeRaw(grain, invoker.Wire.ReadArguments(arguments));

    public override void Complete(Task turn)
    {
        if (!TryFinish())
        {
            return;
        }

        if (turn.IsCompletedSuccessfully)
        {
            try
            {
                replyTo.TrySend(FrameType.Response, (this, turn), static (writer, state) =>
                {
                    ResponseBody.WriteOk(writer, state.Item1.CorrelationId);
                    state.Item1.WireMethod.Result?.WriteTaskResult(writer, state.turn);
                });
            }
            catch (Exception exception)
            {
                // The result could not be encoded (or is over the frame cap): the caller hears why.
                SendException(exception);
            }
        }
        else
        {
            SendException(turn.IsCanceled
                ? new TaskCanceledException($"The call {Describe()} was canceled by the grain.")
                : turn.Exception!.InnerExceptions[0]);
        }
    }

    public override void Fail(Exception exception)
    {
        if (TryFinish())
        {
            SendException(exception);
        }
    }

    public override string Describe() => invoker.DisplayName;

    public override void WriteArguments(DataWriter writer) => writer.WriteRaw(arguments);

    public override void CompleteFromWire(ReadOnlySpan<byte> body)
    {
        if (TryFinish())
        {
            replyTo.TrySend(FrameType.Response, (CorrelationId, body.ToArray()), static (writer, state) =>
            {
                writer.WriteVarUInt64(state.CorrelationId);
                writer.WriteRaw(state.Item2);
            });
        }
    }

    private ulong CorrelationId => correlationId;

    /// <summary>Marks the call answered (once); the connection counts one call fewer in flight.</summary>
    private bool TryFinish()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        replyTo.EndRequest();
        return true;
    }

    private void SendException(Exception exception) =>
        replyTo.TrySend(FrameType.Response, (CorrelationId, exception), static (writer, state) => ResponseBody.WriteException(writer, state.CorrelationId, state.exception));
}
