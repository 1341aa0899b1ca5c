namespace Argus.Bench.Query;

/// <summary>One audit entry as the loader writes it: every column of <c>audit_logs</c>, reused from row to row.</summary>
internal sealed class GeneratedEntry
{
    public Guid Id;
    public Guid TraceId;
    public DateTime OccurredAt;
    public string? EventType;
    public string? EventAction;
    public string Status = "SUCCESS";
    public string ActorType = "SERVICE";
    public string ActorId = "";
    public string TargetType = "RESOURCE";
    public string? TargetId;
    public string? RequestMetadata;
    public string? ResponseMetadata;
    public string? AdditionalMetadata;
    public DateTime CreatedAt;
    public string? Source;
    public string? TenantId;
    public string? RequestId;
    public System.Net.IPAddress? IpAddress;
    public string? UserAgent;
    public string? HttpMethod;
    public string? HttpPath;
    public short? HttpStatus;
    public double? LatencyMs;
    public int PartitionId;
    public long Seq;

    /// <summary>A uniform draw in [0, 1) per entry, for columns that want a value of their own without another generator.</summary>
    public double Draw;

    public bool Failed => Status == "FAILURE";
}
