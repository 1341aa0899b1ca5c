namespace Argus.Bench.Orleans;

/// <summary>A grain that answers at once: what is measured is the call, not the work.</summary>
public interface ICallTarget : IGrainWithIntegerKey
{
    ValueTask<int> EchoAsync(int value);
}
