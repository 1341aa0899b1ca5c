using Npgsql;

namespace Argus.Grains.Storage;

/// <summary>A statement exactly as Argus runs it: its text and its positional parameters ($1, $2, ...).</summary>
internal sealed record AuditSql(string Text, IReadOnlyList<NpgsqlParameter> Parameters)
{
    public NpgsqlBatchCommand ToBatchCommand()
    {
        var command = new NpgsqlBatchCommand(Text);
        foreach (var parameter in Parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }

        return command;
    }

    public NpgsqlCommand ToCommand(NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(Text, connection);
        foreach (var parameter in Parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }

        return command;
    }
}
