using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Argus.Silo.Hosting;

/// <summary>
/// How fast a lost silo is declared dead, so its partitions are owned again elsewhere. Orleans'
/// defaults take 10-60 s here (a SIGKILLed silo with two silos: 11-13 s; a frozen one: 62 s);
/// these take about a second for a killed silo and a few for a frozen one (measured: see
/// docs/architecture.md). Each value can be overridden under <c>Argus:Membership</c> (Orleans'
/// <see cref="ClusterMembershipOptions"/> names) and <c>Argus:Messaging</c> (<see cref="SiloMessagingOptions"/>).
/// </summary>
public static class FailureDetection
{
    public const string MembershipSection = "Argus:Membership";

    public const string MessagingSection = "Argus:Messaging";

    /// <summary>A probe unanswered this long counts as missed; two missed probes and one vote declare a silo dead.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a probe may take once Orleans has adapted it to observed latency. It also bounds
    /// how long recent traffic on a connection vouches for a silo (twice this): a frozen silo's
    /// connection stays open, so this is what its detection waits for.
    /// </summary>
    public static readonly TimeSpan MaxProbeTimeout = TimeSpan.FromSeconds(2);

    public const int NumMissedProbesLimit = 2;

    public const int NumVotesForDeathDeclaration = 1;

    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    public const int NumMissedTableIAmAliveLimit = 2;

    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A call to a silo that stops answering fails after this (calls in flight to a silo declared
    /// dead fail at once). Appends, which wait for their commit, have their own longer timeout.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    public static void Configure(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClusterMembershipOptions>()
            .Configure(o =>
            {
                o.ProbeTimeout = ProbeTimeout;
                o.MaxProbeTimeout = MaxProbeTimeout;
                o.NumMissedProbesLimit = NumMissedProbesLimit;
                o.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
                o.TableRefreshTimeout = TableRefreshTimeout;
                o.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
                o.NumMissedTableIAmAliveLimit = NumMissedTableIAmAliveLimit;
                o.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
            })
            .Bind(configuration.GetSection(MembershipSection));
        services.AddOptions<SiloMessagingOptions>()
            .Configure(o =>
            {
                o.ResponseTimeout = ResponseTimeout;
                o.SystemResponseTimeout = ResponseTimeout;
            })
            .Bind(configuration.GetSection(MessagingSection));
    }
}
