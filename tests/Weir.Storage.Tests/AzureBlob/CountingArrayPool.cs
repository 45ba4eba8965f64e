using System.Buffers;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>An array pool that counts the buffers out at once and their peak, to check an upload's memory bound.</summary>
public sealed class CountingArrayPool : ArrayPool<byte>
{
    private readonly Lock _gate = new();
    private int _outstanding;

    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _outstanding;
            }
        }
    }

    public int Peak { get; private set; }

    public int Rented { get; private set; }

    public int LargestRequest { get; private set; }

    public override byte[] Rent(int minimumLength)
    {
        lock (_gate)
        {
            _outstanding++;
            Rented++;
            Peak = Math.Max(Peak, _outstanding);
            LargestRequest = Math.Max(LargestRequest, minimumLength);
        }

        return new byte[minimumLength];
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        lock (_gate)
        {
            if (--_outstanding < 0)
            {
                throw new InvalidOperationException("More buffers returned than rented.");
            }
        }
    }
}
