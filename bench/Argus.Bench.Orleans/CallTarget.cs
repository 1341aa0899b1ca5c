namespace Argus.Bench.Orleans;

public sealed class CallTarget : Grain, ICallTarget
{
    public ValueTask<int> EchoAsync(int value) => ValueTask.FromResult(value);
}
