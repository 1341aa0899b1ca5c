using System.Text;
using System.Text.Json;
using Argus.Grains.Abstractions;

namespace Argus.Grains.Integrity;

/// <summary>
/// A signed statement about the log (docs/integrity.md). Its body is compact UTF-8 JSON, stored
/// and served byte for byte as signed:
/// <list type="bullet">
/// <item><c>heads</c>: each partition's last sequence number and hash at <c>createdAt</c>;</item>
/// <item><c>retention</c>: the entries a retention run removed with the month <c>month</c>, as
/// runs of consecutive sequence numbers per partition with the hash of each run's last entry,
/// which the entry after the run names as its previous hash.</item>
/// </list>
/// </summary>
public sealed record Checkpoint(long Id, string Kind, DateTimeOffset CreatedAt, string Body, string KeyId, byte[] Signature)
{
    public const string Format = "argus-checkpoint/1";

    public const string HeadsKind = "heads";

    public const string RetentionKind = "retention";

    /// <summary>Checks the signature with <paramref name="key"/> (false when another key made it).</summary>
    public bool IsSignedBy(SigningKey key) => KeyId == key.Id && key.Verify(Encoding.UTF8.GetBytes(Body), Signature);

    /// <summary>The heads of a <c>heads</c> checkpoint.</summary>
    public IReadOnlyList<ChainPosition> Heads() => Read("heads", e => new ChainPosition(
        e.GetProperty("partition").GetInt32(), e.GetProperty("seq").GetInt64(), Convert.FromHexString(e.GetProperty("hash").GetString()!)));

    /// <summary>The removed runs of a <c>retention</c> checkpoint.</summary>
    public IReadOnlyList<RemovedRun> Runs() => Read("runs", e => new RemovedRun(
        e.GetProperty("partition").GetInt32(), e.GetProperty("firstSeq").GetInt64(), e.GetProperty("lastSeq").GetInt64(),
        Convert.FromHexString(e.GetProperty("lastHash").GetString()!)));

    /// <summary>The body of a <c>heads</c> checkpoint.</summary>
    public static string HeadsBody(DateTimeOffset createdAt, IEnumerable<ChainPosition> heads) => Write(HeadsKind, createdAt, writer =>
    {
        writer.WriteStartArray("heads");
        foreach (var head in heads.OrderBy(h => h.Partition))
        {
            writer.WriteStartObject();
            writer.WriteNumber("partition", head.Partition);
            writer.WriteNumber("seq", head.Seq);
            writer.WriteString("hash", Convert.ToHexStringLower(head.Hash));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    /// <summary>The body of a <c>retention</c> checkpoint for the month partition <paramref name="month"/>.</summary>
    public static string RetentionBody(DateTimeOffset createdAt, string month, IEnumerable<RemovedRun> runs) => Write(RetentionKind, createdAt, writer =>
    {
        writer.WriteString("month", month);
        writer.WriteStartArray("runs");
        foreach (var run in runs.OrderBy(r => r.Partition).ThenBy(r => r.FirstSeq))
        {
            writer.WriteStartObject();
            writer.WriteNumber("partition", run.Partition);
            writer.WriteNumber("firstSeq", run.FirstSeq);
            writer.WriteNumber("lastSeq", run.LastSeq);
            writer.WriteString("lastHash", Convert.ToHexStringLower(run.LastHash));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static string Write(string kind, DateTimeOffset createdAt, Action<Utf8JsonWriter> content)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("kind", kind);
            writer.WriteString("createdAt", Rfc3339.Format(createdAt));
            content(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private List<T> Read<T>(string property, Func<JsonElement, T> item)
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.TryGetProperty(property, out var items) ? items.EnumerateArray().Select(item).ToList() : [];
    }
}

/// <summary>A partition's chain at one entry: its sequence number and hash.</summary>
public sealed record ChainPosition(int Partition, long Seq, byte[] Hash);

/// <summary>Entries <paramref name="FirstSeq"/>..<paramref name="LastSeq"/> of a partition, removed by retention; the last one's hash.</summary>
public sealed record RemovedRun(int Partition, long FirstSeq, long LastSeq, byte[] LastHash);
