// An in-cluster service using Argus.Client as an Orleans client: no HTTP hop, each entry goes to
// the grain owning its trace's partition; the silos' gateways are found in the cluster's Postgres.
// Run a cluster with `./argus run --silos 3`, then:
//   dotnet run --project samples/Argus.Client.Sample -- "Host=127.0.0.1;Port=54329;Username=argus;Database=argus"
using Argus.Grains.Abstractions.Security;
using Argus.Client;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder();
builder.Configuration["ConnectionStrings:Argus"] = args.Length > 0 ? args[0] : "Host=127.0.0.1;Port=54329;Username=argus;Database=argus";
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.AddArgusClusterClient();
using var host = builder.Build();
await host.StartAsync();
var argus = host.Services.GetRequiredService<IArgusCluster>();

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

var timeline = await argus.GetTraceAsync(AccessScope.Unrestricted, trace, 100, CancellationToken.None);
foreach (var entry in timeline?.Entries ?? [])
{
    Console.WriteLine($"  {Rfc3339.Format(entry.Timestamp)}  {entry.EventType,-16} {entry.Status.ToWire()}");
}

Console.WriteLine($"traceId={trace} stored={timeline?.Summary.EntryCount ?? 0}");
await host.StopAsync();
