// An in-cluster service using Argus.Client: no gateway hop, each entry goes to the silo owning
// its trace's partition. Run a cluster with `./argus run --silos 3`, then:
//   dotnet run --project samples/Argus.Client.Sample -- h2c://127.0.0.1:3201
using Argus.Client;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var seeds = args.Length > 0 ? string.Join(",", args) : "h2c://127.0.0.1:3201";
var services = new ServiceCollection();
services.AddArgusClusterClient(new ConfigurationBuilder().Build(), options => options.Seeds = seeds);
await using var provider = services.BuildServiceProvider();
var argus = provider.GetRequiredService<IArgusCluster>();

// One request of an order service: three audited steps on one trace.
var trace = Guid.NewGuid();
string[] steps = ["order.validate", "payment.charge", "order.confirm"];
foreach (var step in steps)
{
    var result = await argus.AppendAsync(new AuditEntry
    {
        Id = Guid.CreateVersion7(), // fixed before the first attempt: retries can never store it twice
        TraceId = trace,
        Timestamp = DateTimeOffset.UtcNow,
        EventType = step,
        EventAction = EventAction.Create,
        Status = AuditStatus.Success,
        ActorType = ActorType.Service,
        ActorId = "order-service",
        TargetType = TargetType.Resource,
        TargetId = "order-1042",
        RequestMetadata = """{"items": 3}""",
    }, CancellationToken.None);
    Console.WriteLine($"{step,-16} {result.Status,-8} {result.Entry?.Id}");
}

var timeline = await argus.QueryAsync(new AuditQuery { TraceId = trace }, CancellationToken.None);
Console.WriteLine($"trace {trace}: {timeline.Total} entries");
foreach (var entry in timeline.Logs.Reverse())
{
    Console.WriteLine($"  {Rfc3339.Format(entry.Timestamp)}  {entry.EventType,-16} {entry.Status.ToWire()}");
}
