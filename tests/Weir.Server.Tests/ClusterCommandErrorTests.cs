using Xunit.Abstractions;

namespace Weir.Server.Tests;

/// <summary>
/// Bad input to the cluster commands: each gets one line saying what was wrong and what is
/// allowed, and a non-zero exit, never a stack trace.
/// </summary>
public sealed class ClusterCommandErrorTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("weir-cluster-errors-").FullName;

    [Theory]
    [InlineData(2, "WeirClientOptions.Gateways contains 'nonsense', which is not allowed: each must be 'host:port'", "submit", "--gateway", "nonsense", "--job", "wordcount")]
    [InlineData(2, "execution.checkpointing.interval = 'soon' is not valid: expected a duration such as 500ms", "submit", "--gateway", "127.0.0.1:9", "--job", "wordcount", "--Weir:execution.checkpointing.interval=soon")]
    [InlineData(2, "'submit' needs --gateway <host:port>", "submit", "--job", "wordcount")]
    [InlineData(2, "--Weir:execution.checkpointing.interval needs a value", "submit", "--gateway", "127.0.0.1:9", "--job", "wordcount", "--Weir:execution.checkpointing.interval")]
    [InlineData(2, "A cluster silo needs --silo-port <p> and --gateway-port <g>", "--cluster-dir", "cluster", "--silo-port", "0")]
    [InlineData(2, "Unknown job 'nope'. The built-in jobs are:", "--cluster-dir", "cluster", "--silo-port", "0", "--gateway-port", "0", "--job", "nope")]
    [InlineData(1, "Cannot run the job on the cluster: No gateway of cluster 'weir' accepted the client", "submit", "--gateway", "127.0.0.1:9", "--job", "wordcount", "--run-for", "1s")]
    public async Task Bad_input_is_named_without_a_stack_trace(int exitCode, string message, params string[] arguments)
    {
        var (exit, text) = await ServerProcess.RunAsync(_directory, Timeout, arguments);
        output.WriteLine(text);
        Assert.Equal(exitCode, exit);
        Assert.Contains(message, text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public async Task A_silo_whose_port_is_taken_says_so_and_exits()
    {
        var port = LoopbackPorts.Free(2);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port[0]);
        taken.Start();
        var (exit, text) = await ServerProcess.RunAsync(_directory, Timeout, "--cluster-dir", "cluster", "--silo-port", $"{port[0]}", "--gateway-port", $"{port[1]}");
        output.WriteLine(text);
        Assert.Equal(1, exit);
        Assert.Contains($"The silo could not start: Cannot listen on 127.0.0.1:{port[0]}", text);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
