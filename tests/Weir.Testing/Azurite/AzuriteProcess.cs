using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Weir.Testing.Azurite;

/// <summary>
/// Azurite's Blob service in a child process, for tests and benchmarks: installs it from the
/// repository's package-lock.json (<c>npm ci</c>) if <c>node_modules/.bin/azurite-blob</c> is
/// missing, runs it in memory on a free loopback port with signature checking on (never
/// <c>--loose</c>), waits until it answers HTTP, and kills its process tree on dispose.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's published, well-known key of <see cref="AccountName"/>: not a secret.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly StringBuilder _output = new();
    private readonly string _workspace;
    private readonly Process _process;

    private AzuriteProcess(Process process, int port, string workspace)
    {
        _process = process;
        Port = port;
        _workspace = workspace;
    }

    /// <summary>The loopback port Blob requests go to.</summary>
    public int Port { get; }

    /// <summary>Path-style endpoint: <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>A connection string with the well-known key, pointing at this instance.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint}";

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

    /// <summary>A fresh container name (Azure's rules: lowercase, digits, hyphens, at most 63).</summary>
    public static string NewContainerName(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..Math.Min(63, purpose.Length + 33)];

    /// <summary>The URI of <paramref name="prefix"/> in <paramref name="container"/> (a checkpoint store location).</summary>
    public Uri LocationOf(string container, string prefix = "") => new($"{BlobEndpoint}/{container}/{prefix}");

    /// <summary>Installs Azurite if needed, starts it on a free port and waits until it serves.</summary>
    public static async Task<AzuriteProcess> StartAsync()
    {
        var root = RepositoryRoot.Find();
        var azurite = Path.Combine(root, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite-blob.cmd" : "azurite-blob");
        if (!File.Exists(azurite))
        {
            await InstallAsync(root);
            if (!File.Exists(azurite))
            {
                throw new InvalidOperationException($"'npm ci' in {root} finished but {azurite} is still missing; is package.json's devDependency on azurite intact?");
            }
        }

        var workspace = Path.Combine(Path.GetTempPath(), "weir-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workspace);
        var port = LoopbackPorts.Free(1)[0];
        var start = new ProcessStartInfo(azurite)
        {
            WorkingDirectory = workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--inMemoryPersistence", "--silent", "--disableTelemetry"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {azurite}.");
        var instance = new AzuriteProcess(process, port, workspace);
        process.OutputDataReceived += (_, e) => instance.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => instance.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await instance.WaitUntilServingAsync();
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>Kills Azurite's process tree and deletes its workspace.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exited.Token);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_workspace, recursive: true);
        }
        catch (IOException)
        {
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
            if (_process.HasExited)
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

        using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm; Azurite needs Node.js and npm on PATH.");
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
}

/// <summary>Finds the repository root (where Orleans.sln and package.json are).</summary>
public static class RepositoryRoot
{
    /// <summary>The first directory above the running assembly (or the working directory) holding Orleans.sln.</summary>
    public static string Find()
    {
        foreach (var start in (string[])[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Orleans.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No Orleans.sln above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}: cannot find the repository root, where package.json pins Azurite.");
    }
}
