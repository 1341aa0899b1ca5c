using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Argus.Grains.Abstractions.Integrity;

/// <summary>
/// The canonical encoding of a JSON value in an entry's hash (docs/integrity.md): the same bytes
/// for every spelling of the same value, so the text a caller sent and the text Postgres jsonb
/// gives back encode alike. Member order, white space, string escapes and number spelling do not
/// matter; member names are sorted by their UTF-8 bytes, and a repeated name keeps its last value
/// (as jsonb does).
/// </summary>
public static class CanonicalJson
{
    public const byte Null = (byte)'n';
    public const byte False = (byte)'f';
    public const byte True = (byte)'t';
    public const byte Number = (byte)'d';
    public const byte String = (byte)'s';
    public const byte Array = (byte)'a';
    public const byte Object = (byte)'o';

    /// <summary>Appends the encoding of the JSON text <paramref name="json"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string json)
    {
        using var document = JsonDocument.Parse(json);
        Write(output, document.RootElement);
    }

    public static void Write(IBufferWriter<byte> output, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                WriteByte(output, Null);
                break;
            case JsonValueKind.False:
                WriteByte(output, False);
                break;
            case JsonValueKind.True:
                WriteByte(output, True);
                break;
            case JsonValueKind.Number:
                WriteByte(output, Number);
                WriteBytes(output, Encoding.ASCII.GetBytes(CanonicalNumber(value.GetRawText())));
                break;
            case JsonValueKind.String:
                WriteByte(output, String);
                WriteBytes(output, Encoding.UTF8.GetBytes(value.GetString()!));
                break;
            case JsonValueKind.Array:
                WriteByte(output, Array);
                WriteCount(output, value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    Write(output, item);
                }

                break;
            case JsonValueKind.Object:
                WriteObject(output, value);
                break;
            default:
                throw new ArgumentException($"not a JSON value: {value.ValueKind}", nameof(value));
        }
    }

    private static void WriteObject(IBufferWriter<byte> output, JsonElement value)
    {
        // Last value of a repeated name wins, then names in UTF-8 byte order (code point order).
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            members[property.Name] = property.Value;
        }

        var names = members.Keys.Select(name => (Name: name, Utf8: Encoding.UTF8.GetBytes(name))).ToArray();
        System.Array.Sort(names, (a, b) => a.Utf8.AsSpan().SequenceCompareTo(b.Utf8));
        WriteByte(output, Object);
        WriteCount(output, names.Length);
        foreach (var (name, utf8) in names)
        {
            WriteBytes(output, utf8);
            Write(output, members[name]);
        }
    }

    /// <summary>
    /// A JSON number's value as <c>[-]DeE</c>: D its significant digits (no leading or trailing
    /// zeros), E the power of ten of D's last digit; zero is <c>0</c>. <c>1.50</c>, <c>15e-1</c> and
    /// <c>0.150E1</c> are all <c>15e-1</c>; <c>100</c> is <c>1e2</c>.
    /// </summary>
    public static string CanonicalNumber(string number)
    {
        var span = number.AsSpan().Trim();
        var negative = span.Length > 0 && span[0] == '-';
        if (negative)
        {
            span = span[1..];
        }

        var exponentAt = span.IndexOfAny('e', 'E');
        var mantissa = exponentAt < 0 ? span : span[..exponentAt];
        long exponent = exponentAt < 0 ? 0 : long.Parse(span[(exponentAt + 1)..], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);

        var point = mantissa.IndexOf('.');
        var digits = new StringBuilder(mantissa.Length);
        if (point < 0)
        {
            digits.Append(mantissa);
        }
        else
        {
            digits.Append(mantissa[..point]).Append(mantissa[(point + 1)..]);
            exponent -= mantissa.Length - point - 1;
        }

        var text = digits.ToString().TrimStart('0');
        if (text.Length == 0)
        {
            return "0";
        }

        var trimmed = text.TrimEnd('0');
        exponent += text.Length - trimmed.Length;
        return (negative ? "-" : "") + trimmed + "e" + exponent.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    internal static void WriteCount(IBufferWriter<byte> output, int count)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), checked((uint)count));
        output.Advance(4);
    }

    /// <summary>A length (4 bytes, big-endian) and the bytes.</summary>
    internal static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteCount(output, bytes.Length);
        output.Write(bytes);
    }
}
