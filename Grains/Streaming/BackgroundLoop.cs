namespace Argus.Grains.Streaming;

/// <summary>
/// A silo service's background loop: started by one lifecycle stage, and stopped by its end, which
/// cancels the loop and waits for it (as long as the stop may take). Started again after a stop,
/// it runs a new loop.
/// </summary>
internal sealed class BackgroundLoop
{
    private CancellationTokenSource? stopping;
    private Task loop = Task.CompletedTask;

    public bool IsRunning => stopping is not null;

    public void Start(Func<CancellationToken, Task> run)
    {
        stopping = new CancellationTokenSource();
        var token = stopping.Token;
        loop = Task.Run(() => run(token), CancellationToken.None);
    }

    /// <summary>Cancels the loop and waits for it to end; false when it was not running.</summary>
    public async Task<bool> StopAsync(CancellationToken cancellationToken)
    {
        if (stopping is not { } running)
        {
            return false;
        }

        await running.CancelAsync();
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        running.Dispose();
        stopping = null;
        return true;
    }
}
