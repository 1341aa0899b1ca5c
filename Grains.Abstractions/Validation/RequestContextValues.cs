using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Argus.Grains.Abstractions.Validation;

/// <summary>
/// The rules for request-context values that are more than bounded text: client addresses and
/// HTTP methods. Shared by the entry reader and the query parser, so that a filter value is
/// normalised exactly as the stored value was.
/// </summary>
public static class RequestContextValues
{
    /// <summary>The longest text of an IPv6 address: eight groups with the last two as dotted IPv4.</summary>
    private const int MaxAddressLength = 45;

    /// <summary>RFC 9110 tchar: the characters of an HTTP token such as a method name.</summary>
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>What an IPv4 or IPv6 address is written with; anything else (zone, prefix, port, brackets, space) is refused.</summary>
    private static readonly SearchValues<char> AddressCharacters = SearchValues.Create("0123456789abcdefABCDEF:.");

    /// <summary>
    /// The canonical text of an IPv4 or IPv6 host address, or null when <paramref name="value"/> is
    /// not one. IPv4 must be plain dotted decimal (no leading zeros, no short or hexadecimal forms,
    /// which parsers read differently); IPv6 may be spelled any valid way and is returned compressed
    /// and lower-case. Zones, prefixes, brackets and ports are refused: the column holds a host address.
    /// </summary>
    public static string? CanonicalIpAddress(string value)
    {
        if (value.Length is 0 or > MaxAddressLength || value.AsSpan().ContainsAnyExcept(AddressCharacters)
            || !IPAddress.TryParse(value, out var address))
        {
            return null;
        }

        var canonical = address.ToString();
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => canonical == value ? value : null,
            AddressFamily.InterNetworkV6 => canonical,
            _ => null,
        };
    }

    /// <summary>The method in upper case, or null when <paramref name="value"/> is not an HTTP token of 1..16 characters.</summary>
    public static string? CanonicalHttpMethod(string value) =>
        value.Length is 0 or > AuditLimits.MaxHttpMethodLength || value.AsSpan().ContainsAnyExcept(TokenCharacters)
            ? null
            : value.ToUpperInvariant();
}
