namespace Argus.Silo.Membership;

/// <summary>A silo's life: joining -> active -> shutting_down -> dead (the wire names in <c>argus_silos.status</c>).</summary>
public enum SiloStatus
{
    Joining,
    Active,
    ShuttingDown,
    Dead,
}
