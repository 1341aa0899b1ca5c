using Xunit;

namespace Argus.TestInfrastructure;

/// <summary>One database and one running node, shared by the tests of a class. Tests keep apart by using their own trace ids and actors.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public ArgusTestNode Node { get; private set; } = null!;

    public HttpClient Client => Node.Client;

    public async Task InitializeAsync()
    {
        Database = await TestPostgres.CreateDatabaseAsync();
        Node = await ArgusTestNode.StartAsync(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Database.DisposeAsync();
    }
}
