using Npgsql;
using NpgsqlTypes;

namespace Argus.Bench.Query;

internal static class BinaryImporterExtensions
{
    public static void WriteText(this NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, NpgsqlDbType.Text);
        }
    }

    public static void WriteJson(this NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, NpgsqlDbType.Jsonb);
        }
    }
}
