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
        var length = Encoding.UTF8.GetMaxByteCount(json.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var utf8 = rented.AsSpan(0, Encoding.UTF8.GetBytes(json, rented));
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            reader.Read();
            WriteValue(ref reader, output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends the encoding of the value at the reader (which it leaves on the value's last token).</summary>
    private static void WriteValue(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                WriteByte(output, Null);
                break;
            case JsonTokenType.False:
                WriteByte(output, False);
                break;
            case JsonTokenType.True:
                WriteByte(output, True);
                break;
            case JsonTokenType.Number:
                WriteByte(output, Number);
                WriteNumber(output, reader.ValueSpan);
                break;
            case JsonTokenType.String:
                WriteByte(output, String);
                WriteString(ref reader, output);
                break;
            case JsonTokenType.StartArray:
                WriteArray(ref reader, output);
                break;
            case JsonTokenType.StartObject:
                WriteObject(ref reader, output);
                break;
            default:
                throw new JsonException($"not a JSON value: {reader.TokenType}");
        }
    }

    /// <summary>A string's unescaped UTF-8 bytes after their length (or a member name's, which reads the same way).</summary>
    private static void WriteString(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        if (!reader.ValueIsEscaped)
        {
            WriteBytes(output, reader.ValueSpan);
            return;
        }

        var most = reader.ValueSpan.Length; // unescaping never lengthens
        var span = output.GetSpan(4 + most);
        var written = reader.CopyString(span[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)written);
        output.Advance(4 + written);
    }

    private static void WriteArray(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        // The count comes first: a copy of the reader counts the items, then they are written as read.
        var probe = reader;
        var count = 0;
        while (probe.Read() && probe.TokenType != JsonTokenType.EndArray)
        {
            probe.Skip();
            count++;
        }

        WriteByte(output, Array);
        WriteCount(output, count);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            WriteValue(ref reader, output);
        }
    }

    private static void WriteObject(ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        if (CountIfInOrder(reader) is { } count)
        {
            // Names already in order, none repeated (small objects mostly are): written as read.
            WriteByte(output, Object);
            WriteCount(output, count);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                WriteString(ref reader, output);
                reader.Read();
                WriteValue(ref reader, output);
            }

            return;
        }

        // Each member (its name's text, then its value) is encoded aside, then written in name order;
        // a repeated name keeps its last value, as jsonb does.
        var scratch = new ArrayBufferWriter<byte>();
        var members = new List<(int Start, int NameLength, int End)>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var start = scratch.WrittenCount;
            WriteString(ref reader, scratch);
            var nameLength = scratch.WrittenCount - start - 4;
            reader.Read();
            WriteValue(ref reader, scratch);
            members.Add((start, nameLength, scratch.WrittenCount));
        }

        var bytes = scratch.WrittenMemory;
        ReadOnlySpan<byte> Name(ReadOnlyMemory<byte> all, (int Start, int NameLength, int End) m) => all.Span.Slice(m.Start + 4, m.NameLength);
        var order = Enumerable.Range(0, members.Count).ToArray();
        System.Array.Sort(order, (a, b) =>
        {
            var byName = Name(bytes, members[a]).SequenceCompareTo(Name(bytes, members[b]));
            return byName != 0 ? byName : a.CompareTo(b);
        });

        var kept = new List<int>(order.Length);
        foreach (var i in order)
        {
            if (kept.Count > 0 && Name(bytes, members[kept[^1]]).SequenceEqual(Name(bytes, members[i])))
            {
                kept[^1] = i; // the later of two equal names (sorted stably by position)
            }
            else
            {
                kept.Add(i);
            }
        }

        WriteByte(output, Object);
        WriteCount(output, kept.Count);
        foreach (var i in kept)
        {
            var (start, _, end) = members[i];
            output.Write(bytes.Span[start..end]);
        }
    }

    /// <summary>
    /// The number of members of the object at the reader when their names (unescaped as written)
    /// ascend strictly in UTF-8 byte order; null otherwise (escaped names included).
    /// </summary>
    private static int? CountIfInOrder(Utf8JsonReader probe)
    {
        var count = 0;
        ReadOnlySpan<byte> previous = default;
        while (probe.Read() && probe.TokenType != JsonTokenType.EndObject)
        {
            if (probe.ValueIsEscaped || probe.HasValueSequence || (count > 0 && previous.SequenceCompareTo(probe.ValueSpan) >= 0))
            {
                return null;
            }

            previous = probe.ValueSpan;
            count++;
            probe.Read();
            probe.Skip();
        }

        return count;
    }

    private static void WriteNumber(IBufferWriter<byte> output, ReadOnlySpan<byte> number)
    {
        // Plain integers (most numbers in metadata) are spelled here; the rest go through the text form.
        if (number.Length <= 20 && number.IndexOfAnyExcept("-0123456789"u8) < 0 && (number.Length == 1 || number[number[0] == '-' ? 1 : 0] != '0'))
        {
            var digits = number.TrimEnd((byte)'0');
            if (digits.Length == 0 || digits.SequenceEqual("-"u8))
            {
                WriteBytes(output, "0"u8);
                return;
            }

            Span<byte> text = stackalloc byte[32];
            digits.CopyTo(text);
            text[digits.Length] = (byte)'e';
            (number.Length - digits.Length).TryFormat(text[(digits.Length + 1)..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
            WriteBytes(output, text[..(digits.Length + 1 + written)]);
            return;
        }

        Span<char> chars = number.Length <= 128 ? stackalloc char[number.Length] : new char[number.Length];
        for (var i = 0; i < number.Length; i++)
        {
            chars[i] = (char)number[i];
        }

        WriteBytes(output, Encoding.ASCII.GetBytes(CanonicalNumber(new string(chars))));
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
