using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Argus.TestInfrastructure;

/// <summary>
/// A test silo that Orleans finds fatally broken (declared dead by the others, say) stops its own
/// host instead of ending the whole test process, as a real silo process would end itself.
/// </summary>
internal sealed class StopSiloOnFatalError(IServiceProvider services, ILogger<StopSiloOnFatalError> logger) : IFatalErrorHandler
{
    public bool IsUnexpected(Exception exception) => exception is not ThreadAbortException;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        logger.LogError(exception, "Fatal error from {Sender}: {Context}. This test silo stops.", sender, context);
        services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
    }
}
