using System.Collections.Concurrent;

namespace Argus.TestInfrastructure;

/// <summary>
/// Sits first among a test silo's incoming grain calls: counts the calls to each grain method
/// (<c>IPartitionGrain.ReadOwnedAsync</c>, ...) and can hold the calls to one of them until
/// released, the way a silo looks to its peers when it is alive (it answers probes) but does not
/// answer in time.
/// </summary>
public sealed class GrainCallGate : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, int> arrived = new(StringComparer.Ordinal);
    private volatile Hold? hold;

    /// <summary>Calls to <paramref name="method"/> (<c>Interface.Method</c>) that reached this silo so far, held ones included.</summary>
    public int Arrived(string method) => arrived.GetValueOrDefault(method);

    /// <summary>Holds every call to <paramref name="method"/> until the result is disposed.</summary>
    public IDisposable HoldCalls(string method)
    {
        var held = new Hold(method);
        hold = held;
        return held;
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod is { } m ? m.DeclaringType!.Name + "." + m.Name : context.MethodName;
        arrived.AddOrUpdate(method, 1, (_, n) => n + 1);
        if (hold is { } held && held.Method == method)
        {
            await held.Released;
        }

        await context.Invoke();
    }

    private sealed class Hold(string method) : IDisposable
    {
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Method { get; } = method;

        public Task Released => released.Task;

        public void Dispose() => released.TrySetResult();
    }
}
