using System.Collections.Generic;
using System.IO;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// What a proxy is asked to serve: model objects (rendered into routers as they would be applied),
/// and routes files read as written: their IngressRoute and IngressRouteTCP routers, whatever their
/// rules (regexps, ClientIP, ALPN, explicit priorities), each joined to the Service it names. The
/// files' routers are the same ones Test-SniRoute reads from the same files.
/// </summary>
public sealed class ProxyRouteSource
{
    public ProxyRouteSource(IEnumerable<IExposeResource>? resources = null) => Resources.AddRange(resources ?? Enumerable.Empty<IExposeResource>());

    public List<IExposeResource> Resources { get; } = new();

    /// <summary>Routers read from files, as the Traefik version the files say reads them.</summary>
    public List<RouterDefinition> Routers { get; } = new();

    /// <summary>Where the files' routers lead, by Service.</summary>
    public List<ServiceTarget> Targets { get; } = new();

    public List<string> Warnings { get; } = new();

    public List<ClusterExposeException> Errors { get; } = new();

    /// <summary>Nothing to serve was given at all.</summary>
    public bool IsEmpty => Resources.Count == 0 && Routers.Count == 0;

    public static ProxyRouteSource ReadFile(string path) => ReadText(File.ReadAllText(path), path);

    /// <summary>Reads one routes file; problems go to <see cref="Errors"/>, never thrown.</summary>
    public static ProxyRouteSource ReadText(string yaml, string source)
    {
        var read = new ProxyRouteSource();
        if (ManifestImporter.ReadDocuments(yaml, source, read.Errors) is not { } documents)
        {
            return read;
        }

        ImportResult imported = ManifestImporter.ImportForRouting(documents, source);
        read.Resources.AddRange(imported.Resources);
        read.Warnings.AddRange(imported.Warnings);
        read.Errors.AddRange(imported.Errors);
        foreach (ServiceTarget target in imported.Targets)
        {
            if (target.Addresses.Count == 0 || target.Addresses.Any(a => !AddressRules.TryNormalize(a, out _)))
            {
                read.Errors.Add(new ClusterExposeException(ErrorIds.InvalidTargetAddress, ExposeErrorKind.InvalidData,
                    $"Service {target.Namespace}/{target.Name} in {source} has " + (target.Addresses.Count == 0 ? "no target address (no EndpointSlice or Endpoints)." : $"an endpoint address that is not an IP address ({string.Join(", ", target.Addresses)})."), target.Name));
                continue;
            }

            read.Targets.Add(target);
        }

        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> objects = RouterReader.FindRouteObjects(documents, source);
        RouterReader.ReadRouters(objects, RouterReader.InferVersion(objects, imported.Resources), reading);
        read.Warnings.AddRange(reading.Warnings);
        read.Errors.AddRange(reading.Errors);
        foreach (RouterDefinition router in reading.Routers)
        {
            // Said once, by name: the proxy forwards bytes and terminates nothing.
            if (router.Tls == RouterTls.Terminate)
            {
                read.Warnings.Add($"{router.Name} ({router.Source}) has Traefik terminate TLS; the proxy does not, so connections it wins are refused.");
            }

            read.Routers.Add(router);
        }

        return read;
    }

    /// <summary>Adds what another source holds (the pipeline's objects and several files make one set).</summary>
    public void Add(ProxyRouteSource other)
    {
        Resources.AddRange(other.Resources);
        Routers.AddRange(other.Routers);
        Targets.AddRange(other.Targets);
        Warnings.AddRange(other.Warnings);
        Errors.AddRange(other.Errors);
    }
}
