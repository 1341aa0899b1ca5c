namespace Argus.Client.Hosting;

/// <summary>How an Orleans client of Argus notices a lost silo (the silos' side is in the silo's failure detection settings).</summary>
public static class ClientTimeouts
{
    /// <summary>How often the client re-reads the gateways from the membership table.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(2);

    /// <summary>A call (a read) unanswered this long fails and is tried again; appends have their own, longer timeout.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);
}
