using Microsoft.Extensions.Options;

namespace Argus.Client.Clustering;

/// <summary>Refuses to start a client that has no database to find its gateways in.</summary>
public sealed class PostgresClusteringOptionsValidator : IValidateOptions<PostgresClusteringOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresClusteringOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail($"{nameof(PostgresClusteringOptions)}.{nameof(PostgresClusteringOptions.ConnectionString)} must not be empty.")
            : ValidateOptionsResult.Success;
}
