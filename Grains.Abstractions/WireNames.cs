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

    public static bool TryParse(string text, out AuditStatus value) => TryParse(Statuses, text, out value);
    public static bool TryParse(string text, out ActorType value) => TryParse(ActorTypes, text, out value);
    public static bool TryParse(string text, out TargetType value) => TryParse(TargetTypes, text, out value);
    public static bool TryParse(string text, out EventAction value) => TryParse(EventActions, text, out value);

    /// <summary>"one of A, B, C": for error messages.</summary>
    public static string OneOf(string[] names) => "one of " + string.Join(", ", names);

    private static bool TryParse<T>(string[] names, string text, out T value)
        where T : struct, Enum
    {
        var index = Array.IndexOf(names, text);
        value = index >= 0 ? (T)Enum.ToObject(typeof(T), index + 1) : default;
        return index >= 0;
    }
}
