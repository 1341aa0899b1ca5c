namespace Argus.Gateway.Security;

/// <summary>A credential could not be checked because the keys could not be read (Postgres unreachable since the node started): answered 503, never 401.</summary>
public sealed class CredentialsUnavailableException(string message) : Exception(message);
