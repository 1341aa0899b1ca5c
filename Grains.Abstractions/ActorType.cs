namespace Argus.Grains.Abstractions;

/// <summary>Who performed the action. Wire names: <c>SERVICE</c>, <c>ADMIN</c>, <c>MEMBER</c>, <c>SYSTEM</c>.</summary>
public enum ActorType
{
    Service = 1,
    Admin = 2,
    Member = 3,
    System = 4,
}
