using Argus.Client;
using Argus.Client.Hosting;
using Argus.Grains.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Npgsql;

namespace Argus.Gateway.Security;

/// <summary>Authentication (API keys, and bearer tokens of an identity provider when one is configured; or nobody asked, with <see cref="AuthMode.Off"/>) and one authorisation policy per scope.</summary>
public static partial class AuthSetup
{
    /// <summary>The policy scheme that picks the handler for a request's credential.</summary>
    private const string Selector = "Argus";

    /// <summary>Registers authentication and authorisation for the node's mode, which it returns (see <see cref="AuthModes"/>).</summary>
    public static AuthMode AddArgusAuth(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        var settings = ValidatedOptions.Read<AuthOptions>(section, o => o.Validate());
        var (mode, implicitMode) = AuthModes.Resolve(settings.Mode, AuthModes.ListenUrls(builder.Configuration));
        builder.Services.AddValidatedOptions<AuthOptions>(section, o => o.Validate()).PostConfigure(o => o.Mode = mode);
        if (implicitMode)
        {
            builder.Services.AddHostedService<OpenModeWarning>();
        }

        var connectionString = ArgusClientServiceCollectionExtensions.RequiredConnectionString(builder.Configuration);
        builder.Services.AddSingleton(_ => new SecurityDataSource(KeyDataSource(connectionString)));
        builder.Services.AddSingleton(sp => new ApiKeyStore(sp.GetRequiredService<SecurityDataSource>().Value, sp.GetRequiredService<TimeProvider>()));
        var authentication = builder.Services.AddAuthentication(Selector);
        // A token goes to the identity provider's handler only when one is configured; otherwise the key
        // handler refuses it as an invalid credential.
        var tokens = mode == AuthMode.Required && settings.Jwt.Enabled;
        authentication.AddPolicyScheme(Selector, "Argus credentials", o => o.ForwardDefaultSelector = context =>
            mode == AuthMode.Off ? OpenAuthenticationHandler.SchemeName
            : tokens && Credentials.Read(context.Request).Kind == Credentials.Kind.Token ? TokenAuthentication.SchemeName
            : ApiKeyAuthenticationHandler.SchemeName);
        if (mode == AuthMode.Off)
        {
            authentication.AddScheme<AuthenticationSchemeOptions, OpenAuthenticationHandler>(OpenAuthenticationHandler.SchemeName, null);
        }
        else
        {
            authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
            builder.Services.AddSingleton<ApiKeyRing>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeyRing>());
            if (tokens)
            {
                authentication.AddArgusTokens(settings.Jwt);
            }
        }

        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationResponses>();
        builder.Services.AddAuthorization(o =>
        {
            foreach (var scope in ArgusScopes.All)
            {
                o.AddPolicy(scope, p => p.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
            }

            // An endpoint that names no scope still needs a credential: only those marked anonymous are open.
            o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        });
        builder.Services.AddArgusRateLimits(mode, settings.RateLimit);
        return mode;
    }

    /// <summary>Its own small pool: a gateway has no silo's data source, and a node's keeps its connections for the log.</summary>
    private static NpgsqlDataSource KeyDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 4;
        builder.ConnectionStringBuilder.ApplicationName = "argus-keys";
        return builder.Build();
    }

    /// <summary>The pool of the keys and of what Argus records about itself, apart from the log's.</summary>
    public sealed class SecurityDataSource(NpgsqlDataSource value) : IAsyncDisposable
    {
        public NpgsqlDataSource Value { get; } = value;

        public ValueTask DisposeAsync() => Value.DisposeAsync();
    }

    private sealed partial class OpenModeWarning(ILogger<OpenModeWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogOpen();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication is off: " + AuthOptions.Section + ":Mode is not set and this node listens only on loopback, " +
            "so every caller on this machine may read and write everything. Set Argus__Auth__Mode=Required to ask for credentials.")]
        private partial void LogOpen();
    }
}
