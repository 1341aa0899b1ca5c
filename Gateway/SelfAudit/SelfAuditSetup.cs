using Argus.Client.Hosting;
using Argus.Gateway.Security;
using Argus.Grains.Storage;

namespace Argus.Gateway.SelfAudit;

/// <summary>Registers what Argus records about itself (<see cref="SelfAuditOptions"/>); after <see cref="AuthSetup.AddArgusAuth"/>.</summary>
public static class SelfAuditSetup
{
    public static void AddArgusSelfAudit(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<SelfAuditOptions>(builder.Configuration.GetSection(SelfAuditOptions.Section), o => o.Validate());
        services.AddSingleton(sp => new ConfigSnapshotStore(sp.GetRequiredService<AuthSetup.SecurityDataSource>().Value));
        services.AddSingleton<SelfAuditLog>();
        services.AddSingleton<KeyChangeRecorder>();
        services.AddSingleton<CredentialRefusals>();
        services.AddSingleton<ConfigChangeRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<SelfAuditLog>());
        services.AddHostedService(sp => sp.GetRequiredService<KeyChangeRecorder>());
        services.AddHostedService(sp => sp.GetRequiredService<CredentialRefusals>());
        services.AddHostedService(sp => sp.GetRequiredService<ConfigChangeRecorder>());
    }
}
