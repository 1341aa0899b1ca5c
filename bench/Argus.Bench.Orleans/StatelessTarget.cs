using Orleans.Concurrency;

namespace Argus.Bench.Orleans;

[StatelessWorker]
public sealed class StatelessTarget : Grain, IStatelessTarget
{
    public ValueTask<int> EchoAsync(int value) => ValueTask.FromResult(value);
}
