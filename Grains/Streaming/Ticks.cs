namespace Argus.Grains.Streaming;

/// <summary>The next tick of a periodic loop that ends when it is cancelled.</summary>
internal static class Ticks
{
    /// <summary>True at the next tick; false once <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
