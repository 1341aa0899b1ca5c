using Argus.Gateway.Hosting;
using Argus.Grains.Streams;
using Argus.Silo;
using Argus.Silo.Activations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Argus.TestInfrastructure;

/// <summary>
/// A real single Argus node (gateway + silo) in the test process, on a free loopback port, over
/// real HTTP and a real Postgres database. Ready means every partition is owned.
/// </summary>
public sealed class ArgusTestNode : IAsyncDisposable
{
    private readonly WebApplication app;
    private bool stopped;

    private ArgusTestNode(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
        Client = CreateClient();
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<ArgusTestNode> StartAsync(string connectionString, IDictionary<string, string?>? settings = null, bool waitForAllPartitions = true)
    {
        var app = ArgusNode.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["ConnectionStrings:Argus"] = connectionString,
                ["Argus:Silo:PartitionCount"] = "8",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.Logging.ClearProviders().AddConsole();
            builder.Services.AddSingleton<RequestGate>();
            builder.Services.AddSingleton<IStartupFilter, RequestGate.Installer>();
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var node = new ArgusTestNode(app, new Uri(address));
        if (waitForAllPartitions)
        {
            await node.WaitUntilAllPartitionsOwnedAsync(TimeSpan.FromSeconds(30));
        }

        return node;
    }

    /// <summary>A fresh client; many connections allowed, for concurrency tests.</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Counts (and can hold) the requests reaching this node.</summary>
    public RequestGate Requests => Service<RequestGate>();

    /// <summary>Trace grains active on the node: one per trace (or per entry without a trace) that has been called.</summary>
    public int TraceGrainActivations => Service<TraceGrainDirectory>().ActivationCount;

    public T Service<T>()
        where T : notnull => app.Services.GetRequiredService<T>();

    /// <summary>Waits on the silo's ownership signal (no polling) until it owns every partition.</summary>
    public async Task WaitUntilAllPartitionsOwnedAsync(TimeSpan timeout)
    {
        var state = Service<SiloState>();
        var streams = Service<PartitionStreams>();
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = state.NextOwnershipChange;
            if (state.IsStarted && streams.All.All(s => s.IsOwned))
            {
                return;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                var unowned = streams.All.Where(s => !s.IsOwned).Select(s => s.Partition);
                throw new TimeoutException($"node {BaseAddress}: partitions [{string.Join(", ", unowned)}] still unowned after {timeout}");
            }
        }
    }

    /// <summary>Graceful stop: the gateway stops taking requests, the writer answers everything accepted, ownership is released.</summary>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
    }
}
