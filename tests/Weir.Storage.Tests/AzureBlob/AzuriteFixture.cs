using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weir.Storage.AzureBlob;
using Weir.Storage.AzureBlob.Authorization;
using Weir.Storage.AzureBlob.Client;

namespace Weir.Storage.Tests.AzureBlob;

/// <summary>
/// Starts Azurite's Blob service for the tests that need it: installs it from the repository's
/// package-lock.json (<c>npm ci</c>) if <c>node_modules/.bin/azurite-blob</c> is missing, runs it
/// in memory on a free loopback port with signature checking on (never <c>--loose</c>), waits
/// until it answers HTTP, and kills its process tree on dispose. A test that uses it creates its
/// own container.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string AccountName = StorageConnectionString.DevelopmentAccountName;
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly StringBuilder _output = new();
    private readonly string _workspace = Path.Combine(Path.GetTempPath(), "weir-azurite-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>Path-style endpoint: <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>A connection string with Azurite's published well-known key, pointing at this instance.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={StorageConnectionString.DevelopmentAccountKey};BlobEndpoint={BlobEndpoint}";

    public async Task InitializeAsync()
    {
        var root = FindRepositoryRoot();
        var azurite = Path.Combine(root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite-blob.cmd" : "azurite-blob");
        if (!File.Exists(azurite))
        {
            await InstallAsync(root);
            if (!File.Exists(azurite))
            {
                throw new InvalidOperationException($"'npm ci' in {root} finished but {azurite} is still missing; is package.json's devDependency on azurite intact?");
            }
        }

        Directory.CreateDirectory(_workspace);
        Port = FreeLoopbackPort();
        var start = new ProcessStartInfo(azurite)
        {
            WorkingDirectory = _workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--inMemoryPersistence", "--silent", "--disableTelemetry"])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {azurite}.");
        _process.OutputDataReceived += (_, e) => Capture(e.Data);
        _process.ErrorDataReceived += (_, e) => Capture(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(exited.Token);
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_workspace, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A fresh container name (Azure's rules: lowercase, digits, hyphens, at most 63).</summary>
    public static string NewContainerName(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..Math.Min(63, purpose.Length + 33)];

    /// <summary>The store location of <paramref name="prefix"/> in <paramref name="container"/>.</summary>
    public Uri LocationOf(string container, string prefix = "") => new($"{BlobEndpoint}/{container}/{prefix}");

    /// <summary>Store options that sign with the emulator's key; fast retries so fault tests stay short.</summary>
    public BlobCheckpointStoreOptions StoreOptions(Action<BlobCheckpointStoreOptions>? configure = null)
    {
        var options = new BlobCheckpointStoreOptions { ConnectionString = ConnectionString };
        options.Client.Retry.Delay = TimeSpan.FromMilliseconds(5);
        options.Client.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A Blob REST client on this instance, signing with the emulator's key.</summary>
    internal BlobRestClient CreateClient(BlobRestClientOptions? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        options ??= StoreOptions().Client;
        var credential = StorageConnectionString.Parse(ConnectionString).Credential;
        return BlobRestClient.Create(BlobEndpoint, new SharedKeyAuthorizationPolicy(credential), options, logger);
    }

    /// <summary>What Azurite printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before serving on port {Port}. Its output:{Environment.NewLine}{Output}");
            }

            try
            {
                // Any HTTP answer (an unsigned request gets 403) means the Blob service is up.
                using var response = await http.GetAsync(new Uri($"{BlobEndpoint}?comp=list"));
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"Azurite did not answer on port {Port} within {StartTimeout.TotalSeconds} s. Its output:{Environment.NewLine}{Output}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task InstallAsync(string root)
    {
        var npm = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["ci", "--no-audit", "--no-fund"])
        {
            npm.ArgumentList.Add(argument);
        }

        using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm; the Azurite tests need Node.js and npm on PATH.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'npm ci' in {root} did not finish within {InstallTimeout.TotalMinutes} min.{Environment.NewLine}{await stdout}{await stderr}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'npm ci --no-audit --no-fund' in {root} failed with exit code {process.ExitCode}:{Environment.NewLine}{await stdout}{await stderr}");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Orleans.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Orleans.sln above {AppContext.BaseDirectory}: cannot find the repository root, where package.json pins Azurite.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Tests that share one Azurite process; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
