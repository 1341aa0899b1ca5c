namespace Argus.Grains.Abstractions;

/// <summary>
/// The upper-case names the Argus API uses for its enums, in both directions. One table per enum
/// keeps parsing allocation-free and makes the accepted values easy to list in error messages.
/// </summary>
public static class WireNames
{
    public static readonly string[] Statuses = ["SUCCESS", "FAILURE"];
    public static readonly string[] ActorTypes = ["SERVICE", "ADMIN", "MEMBER", "SYSTEM"];
    public static readonly string[] TargetTypes = ["SERVICE", "RESOURCE"];
    public static readonly string[] EventActions = ["CREATE", "READ", "UPDATE", "DELETE"];

    public static string ToWire(this AuditStatus value) => Statuses[(int)value - 1];
    public static string ToWire(this ActorType value) => ActorTypes[(int)value - 1];
    public static string ToWire(this TargetType value) => TargetTypes[(int)value - 1];
    public static string ToWire(this EventAction value) => EventActions[(int)value - 1];

    /// <summary>The enum value (1-based ordinal) of a wire name in <paramref name="names"/>, or null when it is not one.</summary>
    public static int? Ordinal(string[] names, string text)
    {
        var index = Array.IndexOf(names, text);
        return index >= 0 ? index + 1 : null;
    }

    /// <summary>"one of A, B, C": for error messages.</summary>
    public static string OneOf(string[] names) => "one of " + string.Join(", ", names);
}
