using Npgsql;

namespace Argus.Bench.Query;

/// <summary>A column of the binary COPY and how its value is written from a generated entry.</summary>
internal sealed record LoadColumn(string Name, Action<NpgsqlBinaryImporter, GeneratedEntry> Write);
