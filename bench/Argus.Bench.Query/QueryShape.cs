namespace Argus.Bench.Query;

/// <summary>
/// One read shape: the request to Argus and the same statements run directly through Npgsql,
/// each given the request number (to pick its input), answering whether it succeeded. A shape
/// Argus cannot serve yet carries the reason instead.
/// </summary>
internal sealed record QueryShape(string Name, Func<int, Task<bool>>? Argus, Func<int, Task<bool>>? Direct, string? NotApplicable = null);
