namespace Argus.Gateway.Security;

/// <summary><c>Argus:Auth:Mode</c>.</summary>
public enum AuthMode
{
    /// <summary>Every endpoint but health, version and the API's documentation needs a credential.</summary>
    Required,

    /// <summary>No credential is asked for: every caller may do everything. For a node only its own machine can reach.</summary>
    Off,
}
