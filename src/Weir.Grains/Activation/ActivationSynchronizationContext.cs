namespace Weir.Grains.Activation;

/// <summary>
/// The synchronization context grain code runs under: <c>await</c> captures it and posts the
/// continuation back to the activation, which runs it in turn order with the rest of its work.
/// </summary>
internal sealed class ActivationSynchronizationContext(ActivationData activation) : SynchronizationContext
{
    public ActivationData Activation => activation;

    public override void Post(SendOrPostCallback d, object? state) => activation.Post(d, state);

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Current == this)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        activation.Post(
            _ =>
            {
                try
                {
                    d(state);
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
                finally
                {
                    done.Set();
                }
            },
            null);
        done.Wait();
        if (failure is not null)
        {
            throw new InvalidOperationException($"A callback sent to {activation.GrainId} failed.", failure);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
