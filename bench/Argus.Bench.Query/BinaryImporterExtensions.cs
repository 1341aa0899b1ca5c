using Npgsql;
using NpgsqlTypes;

namespace Argus.Bench.Query;

/// <summary>A value, or NULL when there is none, in a binary COPY row.</summary>
internal static class BinaryImporterExtensions
{
    public static void WriteNullable<T>(this NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type)
        where T : class
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, type);
        }
    }

    public static void WriteNullable<T>(this NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type)
        where T : struct
    {
        if (value is { } present)
        {
            writer.Write(present, type);
        }
        else
        {
            writer.WriteNull();
        }
    }
}
