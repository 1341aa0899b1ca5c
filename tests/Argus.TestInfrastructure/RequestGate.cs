using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Argus.TestInfrastructure;

/// <summary>
/// Sits first in a test node's request pipeline: counts the requests to each path, and can hold
/// the requests to one path until released, the way a silo looks to its peers when it is alive
/// (heartbeats, locks) but does not answer in time.
/// </summary>
public sealed class RequestGate
{
    private readonly ConcurrentDictionary<string, int> arrived = new(StringComparer.Ordinal);
    private volatile Hold? hold;

    /// <summary>Requests that reached this node for <paramref name="path"/> so far (held ones included).</summary>
    public int Arrived(string path) => arrived.GetValueOrDefault(path);

    /// <summary>Holds every request to <paramref name="path"/> until the result is disposed (or the caller gives up).</summary>
    public IDisposable HoldRequests(string path)
    {
        var held = new Hold(path);
        hold = held;
        return held;
    }

    private async Task PassAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "";
        arrived.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (hold is { } held && held.Path == path)
        {
            try
            {
                await held.Released.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the caller gave up waiting
            }
        }

        await next(context);
    }

    private sealed class Hold(string path) : IDisposable
    {
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Path { get; } = path;

        public Task Released => released.Task;

        public void Dispose() => released.TrySetResult();
    }

    /// <summary>Puts the gate in front of everything else the node maps.</summary>
    internal sealed class Installer(RequestGate gate) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) => gate.PassAsync(context, following));
            next(app);
        };
    }
}
