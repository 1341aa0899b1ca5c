using Argus.Client.Hosting;
using Argus.Grains.Integrity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Argus.Silo.Hosting;

/// <summary>What any Argus process needs to make signed checkpoints: the settings (<c>Argus:Integrity</c>), the key, the maker.</summary>
public static class IntegrityHosting
{
    /// <summary>Registers them; the caller registers the <see cref="CheckpointStore"/> over the process's data source.</summary>
    public static IServiceCollection AddArgusIntegrity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IntegrityOptions>(configuration.GetSection(IntegrityOptions.Section), o => o.Validate());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CheckpointKey>();
        // Read when the host starts: a key file that cannot be used stops the process there.
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointKey>());
        services.AddSingleton<HeadsCheckpoints>();
        return services;
    }
}
