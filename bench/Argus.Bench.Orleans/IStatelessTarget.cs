namespace Argus.Bench.Orleans;

/// <summary>The same call on a stateless worker: always activated on the calling silo.</summary>
public interface IStatelessTarget : IGrainWithIntegerKey
{
    ValueTask<int> EchoAsync(int value);
}
