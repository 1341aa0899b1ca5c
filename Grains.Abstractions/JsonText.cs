using System.Text.Json;

namespace Argus.Grains.Abstractions;

/// <summary>Helpers for JSON carried as text (the metadata objects).</summary>
public static class JsonText
{
    /// <summary>
    /// Equal as JSON values: object member order, white space and number spelling do not matter.
    /// Postgres jsonb normalises exactly those, so this is the equality that survives storage.
    /// </summary>
    public static bool SemanticallyEqual(string? left, string? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        if (string.Equals(left, right, StringComparison.Ordinal))
        {
            return true;
        }

        using var a = JsonDocument.Parse(left);
        using var b = JsonDocument.Parse(right);
        return JsonElement.DeepEquals(a.RootElement, b.RootElement);
    }
}
