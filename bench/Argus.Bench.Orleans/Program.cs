// What an Orleans call costs here, measured the way Argus uses Orleans: a silo's own code calling
// its grains (a node's API), and an Orleans client calling them over TCP (a gateway process).
// Each shape runs `--seconds` (5) with `--concurrency` (64) callers after a warm-up; it prints
// calls per second and the process's CPU time per call (user + system, every thread).
//   dotnet run -c Release --project bench/Argus.Bench.Orleans [-- --seconds 5 --concurrency 64]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Argus.Bench.Orleans;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

var seconds = Option("--seconds", 5);
var concurrency = Option("--concurrency", 64);
var ports = FreePorts(2);

var siloBuilder = Host.CreateApplicationBuilder();
siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
siloBuilder.UseOrleans(silo => silo.UseLocalhostClustering(ports[0], ports[1]));
using var siloHost = siloBuilder.Build();
await siloHost.StartAsync();
var local = siloHost.Services.GetRequiredService<IGrainFactory>();

var clientBuilder = Host.CreateApplicationBuilder();
clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(ports[1]));
using var clientHost = clientBuilder.Build();
await clientHost.StartAsync();
var remote = clientHost.Services.GetRequiredService<IClusterClient>();

const int ExistingGrains = 1024;
await Task.WhenAll(Enumerable.Range(0, ExistingGrains).Select(i => local.GetGrain<ICallTarget>(i).EchoAsync(i).AsTask()));
long nextNew = 1_000_000;

var shapes = new (string Name, Func<int, ValueTask<int>> Call)[]
{
    ("silo-local call, one of 1,024 existing grains", i => local.GetGrain<ICallTarget>(i % ExistingGrains).EchoAsync(i)),
    ("silo-local call, a [StatelessWorker]", i => local.GetGrain<IStatelessTarget>(0).EchoAsync(i)),
    ("silo-local call activating a new grain every time", i => local.GetGrain<ICallTarget>(Interlocked.Increment(ref nextNew)).EchoAsync(i)),
    ("client call over TCP, one of 1,024 existing grains", i => remote.GetGrain<ICallTarget>(i % ExistingGrains).EchoAsync(i)),
};

Console.WriteLine($"Orleans grain calls, {concurrency} concurrent callers, {seconds}s per shape after a 2s warm-up, {Environment.ProcessorCount} cores");
Console.WriteLine($"{"shape",-52} {"calls/s",10} {"CPU us/call",12}");
foreach (var (name, call) in shapes)
{
    await RunAsync(call, TimeSpan.FromSeconds(2));
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var (calls, elapsed) = await RunAsync(call, TimeSpan.FromSeconds(seconds));
    var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    Console.WriteLine($"{name,-52} {calls / elapsed.TotalSeconds,10:F0} {used.TotalMicroseconds / calls,12:F1}");
}

await clientHost.StopAsync();
await siloHost.StopAsync();

async Task<(long Calls, TimeSpan Elapsed)> RunAsync(Func<int, ValueTask<int>> call, TimeSpan duration)
{
    long calls = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async caller =>
    {
        for (var i = caller; clock.Elapsed < duration; i += concurrency)
        {
            await call(i);
            Interlocked.Increment(ref calls);
        }
    }));
    return (calls, clock.Elapsed);
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static int[] FreePorts(int count)
{
    var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
    listeners.ForEach(l => l.Start());
    var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
    listeners.ForEach(l => l.Stop());
    return ports;
}
