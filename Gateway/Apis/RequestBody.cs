using System.Buffers;
using System.IO.Pipelines;

namespace Argus.Gateway.Apis;

/// <summary>Reads a whole request body, refusing to buffer more than a bound.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Calls <paramref name="use"/> with the complete body, or returns false without reading
    /// further once the body exceeds <paramref name="maxBytes"/>.
    /// </summary>
    public static async ValueTask<(bool WithinLimit, T? Result)> ReadAsync<T>(
        HttpRequest request, int maxBytes, Func<ReadOnlySequence<byte>, T> use)
    {
        if (request.ContentLength > maxBytes)
        {
            return (false, default);
        }

        PipeReader reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(request.HttpContext.RequestAborted);
            var buffer = read.Buffer;
            if (buffer.Length > maxBytes)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return (false, default);
            }

            if (read.IsCompleted)
            {
                try
                {
                    return (true, use(buffer));
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The sequence as one span, copying only when it spans several segments.</summary>
    public static T WithSpan<T>(ReadOnlySequence<byte> body, SpanFunc<T> use)
    {
        if (body.IsSingleSegment)
        {
            return use(body.FirstSpan);
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)body.Length);
        try
        {
            body.CopyTo(rented);
            return use(rented.AsSpan(0, (int)body.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public delegate T SpanFunc<out T>(ReadOnlySpan<byte> span);
}
