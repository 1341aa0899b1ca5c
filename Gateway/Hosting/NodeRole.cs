namespace Argus.Gateway.Hosting;

/// <summary>What an Argus process runs (<c>Argus:Role</c>).</summary>
public enum NodeRole
{
    /// <summary>The public API and an Orleans silo in one process: a grain call for a partition owned here is local.</summary>
    Node,

    /// <summary>The public API only, as an Orleans client of the silos: holds no audit state.</summary>
    Gateway,
}
