using Argus.Gateway.Hosting;
using Argus.Grains.Partitions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Argus.Gateway.Security;
using Argus.Grains.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Argus.TestInfrastructure;

/// <summary>
/// A real Argus process in the test process: by default a node (the public API and an Orleans
/// silo), on free loopback ports, over real HTTP and a real Postgres database. Ready means every
/// partition is owned by this silo (a single node) unless told not to wait.
/// </summary>
public sealed class ArgusTestNode : IAsyncDisposable
{
    private readonly WebApplication app;
    private bool stopped;

    private ArgusTestNode(WebApplication app, Uri baseAddress, string name, string? apiKey)
    {
        this.app = app;
        BaseAddress = baseAddress;
        Name = name;
        ApiKey = apiKey;
        Client = CreateClient();
    }

    /// <summary>A key with every scope and no tenant, made at start when the node asks for credentials; every client of <see cref="CreateClient"/> sends it.</summary>
    public string? ApiKey { get; }

    public Uri BaseAddress { get; }

    /// <summary>The silo's name (<c>Argus:Silo:Name</c>).</summary>
    public string Name { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => app.Services;

    /// <param name="configure">Runs last on the builder, after the test's settings and services (e.g. to add a logger provider).</param>
    public static async Task<ArgusTestNode> StartAsync(
        string connectionString, IDictionary<string, string?>? settings = null, bool waitForAllPartitions = true, Action<WebApplicationBuilder>? configure = null)
    {
        var ports = FreePorts.Take(2);
        var name = settings?.TryGetValue("Argus:Silo:Name", out var given) == true && given is not null ? given : $"test-silo-{ports[0]}";
        var app = ArgusNode.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Urls"] = "http://127.0.0.1:0",
                ["ConnectionStrings:Argus"] = connectionString,
                ["Argus:Silo:PartitionCount"] = "8",
                ["Argus:Silo:Name"] = name,
                ["Argus:Silo:Port"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Argus:Silo:GatewayPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
                // As a node on a network runs: every request needs a credential (the clients carry ApiKey).
                ["Argus:Auth:Mode"] = "Required",
                // Entries Argus writes about itself would change every count a test makes; the tests of them turn it on.
                ["Argus:SelfAudit:Enabled"] = "false",
                // Checkpoints are signed, as under ./argus run; the tests of a node without a key set it empty.
                [TestSigningKey.Setting] = TestSigningKey.File,
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.Logging.ClearProviders().AddConsole();
            builder.Services.AddSingleton<Orleans.Runtime.IFatalErrorHandler, StopSiloOnFatalError>();
            builder.Services.AddSingleton<GrainCallGate>();
            builder.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallGate>());
            configure?.Invoke(builder);
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var apiKey = AuthSetupKey(app) is { } wanted ? await CreateKeyAsync(app, wanted) : null;
        var node = new ArgusTestNode(app, new Uri(address), name, apiKey);
        if (waitForAllPartitions)
        {
            await node.WaitUntilAllPartitionsOwnedAsync(TimeSpan.FromSeconds(30));
        }

        return node;
    }

    /// <summary>A fresh client carrying <see cref="ApiKey"/>; many connections allowed, for concurrency tests.</summary>
    public HttpClient CreateClient()
    {
        var client = CreateAnonymousClient();
        if (ApiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        }

        return client;
    }

    /// <summary>A fresh client that sends no credential.</summary>
    public HttpClient CreateAnonymousClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Makes an API key on this node's cluster; returns the key.</summary>
    public async Task<string> CreateKeyAsync(string name, string[] scopes, string? tenant = null) =>
        (await Service<ApiKeyStore>().CreateAsync(name, scopes, tenant, CancellationToken.None))?.Key
        ?? throw new InvalidOperationException($"a key named {name} exists already");

    private static string? AuthSetupKey(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.Mode == AuthMode.Required
            ? "test-all-" + Guid.NewGuid().ToString("N")[..12]
            : null;

    private static async Task<string> CreateKeyAsync(WebApplication app, string name) =>
        (await app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(name, ArgusScopes.All.ToArray(), null, CancellationToken.None))!.Value.Key;

    /// <summary>Counts (and can hold) the grain calls reaching this silo.</summary>
    public GrainCallGate GrainCalls => Service<GrainCallGate>();

    /// <summary>The partitions whose owner is active on this silo.</summary>
    public IReadOnlyList<int> OwnedPartitions => Service<LocalPartitions>().Owned;

    public T Service<T>()
        where T : notnull => app.Services.GetRequiredService<T>();

    /// <summary>Waits on the silo's ownership signal (no polling) until it owns every partition.</summary>
    public async Task WaitUntilAllPartitionsOwnedAsync(TimeSpan timeout)
    {
        var partitions = Service<LocalPartitions>();
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = partitions.NextChange;
            if (partitions.IsReady && partitions.Owned.Count == partitions.PartitionCount)
            {
                return;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                var unowned = Enumerable.Range(0, partitions.PartitionCount).Except(partitions.Owned);
                throw new TimeoutException($"node {Name}: partitions [{string.Join(", ", unowned)}] still not owned here after {timeout}");
            }
        }
    }

    /// <summary>Graceful stop: the API stops taking requests, the silo's partition owners commit what they accepted and deactivate, the silo leaves the cluster.</summary>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Abrupt stop, as close to a crash as one process allows: the host stops without grace, so
    /// the silo neither hands its partitions over nor says goodbye; the others find it dead.
    /// </summary>
    public async Task KillAsync()
    {
        if (!stopped)
        {
            stopped = true;
            using var now = new CancellationTokenSource();
            await now.CancelAsync();
            try
            {
                await app.StopAsync(now.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
    }
}
