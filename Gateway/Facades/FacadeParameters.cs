using System.Globalization;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.Facades;

/// <summary>One refused parameter: where it was, a pydantic-style error type, the reason, and the value given.</summary>
internal sealed record ParameterProblem(string Location, string Name, string Type, string Message, string? Input);

/// <summary>
/// A facade's query string, read the way the other audit APIs read theirs, except that every
/// problem is collected instead of stopping at the first, so a client learns all it got wrong in
/// one answer. An empty value counts as absent. A parameter given twice, or one the endpoint does
/// not know (a misspelt filter would otherwise match everything), is a problem too.
/// </summary>
internal sealed class FacadeParameters(IQueryCollection query)
{
    private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

    public List<ParameterProblem> Problems { get; } = [];

    public bool Valid => Problems.Count == 0;

    public string? Text(string name, int maxLength)
    {
        var value = Single(name);
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            return Refuse(name, "string_too_long", $"String should have at most {maxLength} characters", value);
        }

        return value.Contains('\0') ? Refuse(name, "string_pattern_mismatch", "String should not contain the NUL character", value) : value;
    }

    public int Integer(string name, int fallback, int min, int max)
    {
        var value = Single(name);
        if (value is null)
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            Refuse(name, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", value);
            return fallback;
        }

        if (parsed < min)
        {
            Refuse(name, "greater_than_equal", $"Input should be greater than or equal to {min}", value);
            return fallback;
        }

        if (parsed > max)
        {
            Refuse(name, "less_than_equal", $"Input should be less than or equal to {max}", value);
            return fallback;
        }

        return parsed;
    }

    /// <summary>An instant, and whether it was given as a bare date.</summary>
    public (DateTimeOffset Instant, bool DateOnly)? Time(string name)
    {
        var value = Single(name);
        if (value is null)
        {
            return null;
        }

        return IsoTime.TryParse(value, out var instant, out var dateOnly)
            ? (instant, dateOnly)
            : Refuse<(DateTimeOffset, bool)?>(name, "datetime_from_date_parsing", $"Input should be a valid datetime or date, {IsoTime.Expected}", value);
    }

    /// <summary>An IP address in the canonical form entries store.</summary>
    public string? IpAddress(string name)
    {
        var value = Single(name);
        return value is null ? null
            : RequestContextValues.CanonicalIpAddress(value)
            ?? Refuse(name, "ip_any_address", "value is not a valid IPv4 or IPv6 address", value);
    }

    /// <summary>An outcome named in any case: <c>success</c> or <c>failure</c>.</summary>
    public AuditStatus? Status(string name)
    {
        var value = Single(name);
        return value is null ? null
            : WireNames.Ordinal(WireNames.Statuses, value.ToUpperInvariant()) is { } ordinal ? (AuditStatus)ordinal
            : Refuse<AuditStatus?>(name, "literal_error", "Input should be 'success' or 'failure'", value);
    }

    /// <summary>The zero-based offset of a one-based page, or a problem on <paramref name="pageName"/> when it does not fit.</summary>
    public int Offset(string pageName, int page, int size)
    {
        var offset = (page - 1L) * size;
        if (offset <= int.MaxValue)
        {
            return (int)offset;
        }

        Refuse(pageName, "less_than_equal", $"Input should be less than or equal to {(int.MaxValue / size) + 1}", page.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>A problem of two parameters together, reported on the first.</summary>
    public void CheckOrder(string sinceName, DateTimeOffset? since, string untilName, DateTimeOffset? until)
    {
        if (since > until)
        {
            Refuse(sinceName, "value_error", $"Value error, {sinceName} must not be later than {untilName}", query[sinceName].ToString());
        }
    }

    /// <summary>Adds a problem for every parameter no reader asked for.</summary>
    public void RefuseUnknown()
    {
        foreach (var name in query.Keys)
        {
            if (!read.Contains(name))
            {
                Refuse(name, "extra_forbidden", "Extra inputs are not permitted", query[name].ToString());
            }
        }
    }

    private string? Single(string name)
    {
        read.Add(name);
        var values = query[name];
        if (values.Count > 1)
        {
            return Refuse(name, "value_error", "Value error, given more than once; give one value", values.ToString());
        }

        var value = values.Count == 1 ? values[0] : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private string? Refuse(string name, string type, string message, string? input) => Refuse<string?>(name, type, message, input);

    private T Refuse<T>(string name, string type, string message, string? input)
    {
        Problems.Add(new ParameterProblem("query", name, type, message, input));
        return default!;
    }
}
