namespace Argus.Client;

/// <summary>The query part of a request URI, built from the parameters that have a value.</summary>
internal sealed class QueryString
{
    private readonly List<string> parts = [];

    /// <summary>Adds <paramref name="name"/>=<paramref name="value"/>, escaped; a null value is left out.</summary>
    public void Add(string name, string? value)
    {
        if (value is not null)
        {
            parts.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }

    /// <summary><c>?a=1&amp;b=2</c>, or empty when no parameter has a value.</summary>
    public override string ToString() => parts.Count == 0 ? "" : "?" + string.Join("&", parts);
}
