using Argus.Client.Routing;
using Argus.Grains;
using Argus.Grains.Abstractions;
using Argus.Grains.Options;
using Argus.Grains.Storage;
using Argus.Grains.Streams;
using Argus.Silo.Activations;
using Argus.Silo.Membership;
using Argus.Silo.Options;
using Argus.Silo.Partitions;
using Argus.Silo.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Argus.Silo.Hosting;

public static class SiloServiceCollectionExtensions
{
    /// <summary>The connection string's name: <c>ConnectionStrings:Argus</c> (env: <c>ConnectionStrings__Argus</c>).</summary>
    public const string ConnectionStringName = "Argus";

    /// <summary>
    /// Adds a silo to this process: storage, the partition streams and their writer, trace grain
    /// activations and partition ownership, and <see cref="IArgusCluster"/> as local calls.
    /// </summary>
    public static IServiceCollection AddArgusSilo(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"No Postgres connection string: set ConnectionStrings:{ConnectionStringName} (environment: ConnectionStrings__{ConnectionStringName}).");

        services.AddOptions<SiloOptions>().Bind(configuration.GetSection(SiloOptions.Section))
            .ValidateOnStart();
        services.AddOptions<WriterOptions>().Bind(configuration.GetSection(WriterOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SiloOptions>>(new ProblemsValidator<SiloOptions>(o => o.Validate()));
        services.AddSingleton<IValidateOptions<WriterOptions>>(new ProblemsValidator<WriterOptions>(o => o.Validate()));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.ConnectionStringBuilder.MaxPoolSize = sp.GetRequiredService<IOptions<SiloOptions>>().Value.MaxPoolSize;
            builder.ConnectionStringBuilder.ApplicationName ??= LockConnectionSource.Truncate(
                "argus-silo:" + sp.GetRequiredService<IOptions<SiloOptions>>().Value.SiloId);
            // The write and read statements repeat constantly: prepare them once per connection.
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
            }
            return builder.Build();
        });
        services.AddSingleton(sp => new LockConnectionSource(connectionString, sp.GetRequiredService<IOptions<SiloOptions>>().Value.SiloId));
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditReportStore>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<SiloState>();
        services.AddSingleton<AuditLogWriter>();
        services.AddSingleton<PartitionStreams>();
        services.AddSingleton<TraceGrainDirectory>();
        services.AddSingleton<PageCursors>();
        services.AddSingleton<IQueryPeers, QueryPeers>();
        services.AddSingleton<QueryGrain>();
        services.AddSingleton<PartitionOwnership>();
        services.AddSingleton<SiloMembership>();
        services.AddSingleton<PartitionDirectory>();
        services.AddSingleton(sp => SiloProtocol.Create(sp.GetRequiredService<IOptions<WriterOptions>>().Value.CommitTimeout + TimeSpan.FromSeconds(5)));
        services.AddSingleton<SiloCluster>();
        services.AddSingleton<IArgusCluster>(sp => sp.GetRequiredService<SiloCluster>());

        // Start order is registration order and stop order its reverse: the schema comes first, then
        // membership; on shutdown the writer answers every accepted entry before ownership is
        // released, and the silo's row says dead last.
        services.AddHostedService<SiloStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloMembership>());
        services.AddHostedService(sp => sp.GetRequiredService<PartitionOwnership>());
        services.AddHostedService(sp => sp.GetRequiredService<AuditLogWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<TraceGrainDirectory>());
        return services;
    }

    private sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
