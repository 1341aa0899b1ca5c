using System.Net;
using System.Net.Sockets;
using Argus.Silo.Options;
using Microsoft.Extensions.Configuration;

namespace Argus.Silo.Hosting;

/// <summary>
/// The name a silo has in the membership table and the address it advertises there, fixed when
/// the host is built: from <c>Argus:Silo</c> (a host name resolved once), or under Kubernetes the pod's.
/// </summary>
public sealed record SiloIdentity(string Name, IPAddress AdvertisedAddress)
{
    public static SiloIdentity Of(SiloOptions silo, IConfiguration configuration) =>
        silo.Kubernetes
            ? KubernetesHosting.Identity(configuration)
            : new SiloIdentity(silo.Name, Resolve(silo.AdvertisedAddress));

    /// <summary>
    /// An IP address as given; a host name's one IPv4 address (or, without one, its one IPv6
    /// address). A name with several is refused: the silo could advertise one the others cannot reach.
    /// </summary>
    public static IPAddress Resolve(string address)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            return ip;
        }

        IPAddress[] found;
        try
        {
            found = Dns.GetHostAddresses(address);
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"{SiloOptions.Section}:AdvertisedAddress '{address}' cannot be resolved: {e.Message}", e);
        }

        var candidates = found.Where(a => a.AddressFamily == AddressFamily.InterNetwork).Distinct().ToList();
        if (candidates.Count == 0)
        {
            candidates = found.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Distinct().ToList();
        }

        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new InvalidOperationException($"{SiloOptions.Section}:AdvertisedAddress '{address}' resolves to no IP address"),
            _ => throw new InvalidOperationException(
                $"{SiloOptions.Section}:AdvertisedAddress '{address}' resolves to {string.Join(", ", candidates)}: give a name of this silo alone, or its IP address"),
        };
    }
}
