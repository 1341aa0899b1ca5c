using System.Net;
using Argus.Client;
using Argus.Client.Hosting;
using Argus.Grains;
using Argus.Grains.Abstractions;
using Argus.Grains.Forwarding;
using Argus.Grains.Integrity;
using Argus.Grains.Options;
using Argus.Grains.Partitions;
using Argus.Grains.Placement;
using Argus.Grains.Retention;
using Argus.Grains.Storage;
using Argus.Grains.Streaming;
using Argus.Grains.Writing;
using Argus.Silo.Clustering;
using Argus.Silo.Partitions;
using Argus.Silo.Placement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Streams;

namespace Argus.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>
    /// Makes this process an Argus silo: an Orleans silo (membership in Postgres, partition owners
    /// placed by the partition assignment, tuned failure detection) with the storage, the silo's
    /// group-commit writer and the partition balancer, and <see cref="IArgusCluster"/> as calls to
    /// its grains; in a Kubernetes pod, on Orleans' Kubernetes hosting (<see cref="KubernetesHosting"/>).
    /// Settings: <c>ConnectionStrings:Argus</c>, <c>Argus:Silo</c>, <c>Argus:Cluster</c>,
    /// <c>Argus:Writer</c>, <c>Argus:Query</c>, <c>Argus:Membership</c>, <c>Argus:Messaging</c>,
    /// <c>Argus:Integrity</c>, <c>Argus:Retention</c>.
    /// </summary>
    /// <param name="orleans">More of the silo's configuration (the host's dashboard).</param>
    public static IHostApplicationBuilder AddArgusSilo(this IHostApplicationBuilder builder, Action<ISiloBuilder>? orleans = null)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var connectionString = ArgusClientServiceCollectionExtensions.RequiredConnectionString(configuration);

        // Read now as well: Orleans' endpoints and ids are fixed while the host is built.
        var silo = ValidatedOptions.Read<Options.SiloOptions>(configuration.GetSection(Options.SiloOptions.Section), o => o.Validate());
        var cluster = ValidatedOptions.Read<ArgusClusterOptions>(configuration.GetSection(ArgusClusterOptions.Section), o => o.Validate());
        var identity = SiloIdentity.Of(silo, configuration);
        silo.Name = identity.Name;
        services.AddValidatedOptions<Options.SiloOptions>(configuration.GetSection(Options.SiloOptions.Section), o => o.Validate())
            .PostConfigure(o => o.Name = identity.Name);
        services.AddValidatedOptions<ArgusClusterOptions>(configuration.GetSection(ArgusClusterOptions.Section), o => o.Validate());
        services.AddValidatedOptions<WriterOptions>(configuration.GetSection(WriterOptions.Section), o => o.Validate());
        services.AddValidatedOptions<QueryOptions>(configuration.GetSection(QueryOptions.Section), o => o.Validate());
        services.AddOptions<StreamOptions>().Bind(configuration.GetSection(StreamOptions.Section));
        services.AddValidatedOptions<RetentionOptions>(configuration.GetSection(RetentionOptions.Section), o => o.Validate());

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<Grains.Telemetry.ArgusMetrics>();
        services.AddSingleton(_ => CreateDataSource(connectionString, silo));
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditReportStore>();
        services.AddSingleton<LogStore>();
        // Forwarders are defined by the host (their filters are the HTTP API's); none unless it does.
        services.TryAddSingleton(ForwarderCatalog.Empty);
        services.AddSingleton<ForwarderStore>();
        services.AddSingleton<ForwarderSupervisor>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ForwarderSupervisor>());
        services.AddSingleton<CommittedHeads>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<CommittedHeads>());
        services.AddSingleton<StreamCheckpoints>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<StreamCheckpoints>());
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<PageCursors>();
        services.AddSingleton<LocalPartitions>();
        services.AddSingleton<AuditLogWriter>();
        services.AddSingleton<SchemaStartup>();
        services.AddSingleton<PartitionBalancer>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SchemaStartup>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<AuditLogWriter>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PartitionBalancer>());
        // Signed heads checkpoints every interval, and the months' maintenance (made ahead, dropped past retention).
        services.AddArgusIntegrity(configuration);
        services.AddSingleton<CheckpointStore>();
        services.AddSingleton<CheckpointSchedule>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<CheckpointSchedule>());
        services.AddSingleton<PartitionMaintenance>();
        services.AddSingleton<MaintenanceSchedule>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<MaintenanceSchedule>());
        // The node's HTTP API reads every entry by the rules before it appends it, and appends to the
        // partitions owned on this silo straight into their owners' queues.
        services.AddSingleton<IArgusCluster>(sp => new ArgusClusterClient(
            sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IOptions<ArgusClusterOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ArgusClusterClient>>(),
            entriesValidated: true, sp.GetRequiredService<LocalPartitions>()));

        var configureSilo = orleans;
        builder.UseOrleans(orleans =>
        {
            if (silo.Kubernetes)
            {
                // Before Argus's own settings below: Orleans applies them in registration order, so ours decide.
                orleans.UseKubernetesHosting();
            }

            orleans.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            orleans.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = identity.Name);
            orleans.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = identity.AdvertisedAddress;
                o.SiloPort = silo.Port;
                o.GatewayPort = silo.GatewayPort;
                if (silo.ListenAddress.Length > 0)
                {
                    var listen = IPAddress.Parse(silo.ListenAddress);
                    o.SiloListeningEndpoint = new IPEndPoint(listen, silo.Port);
                    o.GatewayListeningEndpoint = silo.GatewayPort > 0 ? new IPEndPoint(listen, silo.GatewayPort) : null;
                }
            });
            orleans.UsePostgresClustering();
            orleans.AddPlacementDirector<PartitionPlacement, PartitionPlacementDirector>();
            // The committed log as a stream: partitions are its queues, Postgres its storage, and its
            // consumers subscribe implicitly (no pub-sub state to keep).
            orleans.AddPersistentStreams(LogStreams.ProviderName, LogQueueAdapterFactory.Create, stream =>
            {
                stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                stream.ConfigurePullingAgent(agent => agent.Configure<IOptions<StreamOptions>>((o, argus) => o.GetQueueMsgsTimerPeriod = argus.Value.PullInterval));
            });
            FailureDetection.Configure(orleans.Services, configuration);

            // A grain call carries its caller's trace, and the silo's spans for it join that trace.
            orleans.AddActivityPropagation();
            configureSilo?.Invoke(orleans);
        });
        return builder;
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString, Options.SiloOptions silo)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = silo.MaxPoolSize;

        // Names the silo in pg_stat_activity, and stripes the maintained counts by writer (006_counts.sql).
        builder.ConnectionStringBuilder.ApplicationName ??= Truncate("argus-silo:" + silo.Name);

        // The write and read statements repeat constantly: prepare them once per connection.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        return builder.Build();
    }

    /// <summary>Postgres keeps 63 bytes of an application name.</summary>
    private static string Truncate(string name) => name.Length <= 63 ? name : name[..63];
}
