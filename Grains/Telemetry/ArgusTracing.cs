using System.Diagnostics;

namespace Argus.Grains.Telemetry;

/// <summary>
/// Argus's own spans (activity source <c>Argus</c>). A group commit is one span, <c>argus.commit</c>,
/// with the attribute <c>argus.batch.entries</c> and a link to the span of each request it
/// acknowledges: it serves many requests, so it is the child of none of them.
/// </summary>
public static class ArgusTracing
{
    public const string SourceName = "Argus";

    public const string CommitSpan = "argus.commit";

    public const string BatchEntriesAttribute = "argus.batch.entries";

    /// <summary>Spans link to at most this many requests (OpenTelemetry's default limit on links).</summary>
    public const int MaxLinks = 128;

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The caller's span while an entry is accepted, to be linked from the commit that stores it.</summary>
    public static ActivityContext CurrentContext() => Activity.Current?.Context ?? default;

    /// <summary>The span of a group commit, or null when nobody listens.</summary>
    public static Activity? StartCommit<T>(IReadOnlyList<T> batch, Func<T, ActivityContext> callerOf)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var links = new List<ActivityLink>(Math.Min(batch.Count, MaxLinks));
        var seen = new HashSet<ActivitySpanId>();
        foreach (var item in batch)
        {
            var caller = callerOf(item);
            if (caller != default && seen.Add(caller.SpanId))
            {
                links.Add(new ActivityLink(caller));
                if (links.Count == MaxLinks)
                {
                    break;
                }
            }
        }

        var tags = new ActivityTagsCollection { [BatchEntriesAttribute] = batch.Count };
        return Source.StartActivity(CommitSpan, ActivityKind.Internal, parentContext: default, tags, links);
    }
}
