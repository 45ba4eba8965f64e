using System.Text;
using Weir.Storage.Checksums;

namespace Weir.Storage.Tests;

public sealed class Crc32CTests
{
    [Fact]
    public void Matches_the_standard_check_value()
    {
        // The CRC-32C check value of "123456789" (RFC 3720, appendix B.4).
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Chunked_updates_equal_one_pass_for_any_split()
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => i.ToString())));
        var whole = Crc32C.Compute(data);
        for (var split = 0; split <= data.Length; split += 37)
        {
            Assert.Equal(whole, Crc32C.Update(Crc32C.Update(0, data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
