using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// The k3s HelmChartConfig kube-system/traefik is one object for every TCP forward of the cluster:
/// its <c>spec.valuesContent</c> declares one Traefik entry point per forwarded port. That field is a
/// single string, and server-side apply replaces it whole, so publishing one forward as rendered would
/// drop the entry points of every other, and deleting the object when one forward goes would close
/// the ports of the rest. Publishing therefore sets the forwards' ports into the values the cluster
/// already has (anything else in them, a user's own chart values included, stays as it is), and
/// removing takes exactly one forward's ports out. The object itself is deleted only when
/// ClusterExpose created it (<see cref="ManifestConventions.CreatedAnnotation"/>) and its last owner
/// goes with nothing else left in its values; otherwise ClusterExpose lets go of it and leaves the
/// rest of the values as they were.
/// </summary>
public static class SharedEntryPoints
{
    /// <summary>
    /// Makes the apply body of <paramref name="item"/> (a rendered HelmChartConfig) keep what the
    /// live object declares: its ports with the published ones set (a published forward's entry
    /// points from before, under another name, taken out), its other values, its other owners. Throws
    /// when a published entry point or port already belongs to someone else, or the live values are
    /// not YAML. An entry point or port whose recorded owner no longer exists (<paramref name="ownerState"/>
    /// says false) is taken over with <paramref name="force"/>, and refused with that said otherwise.
    /// </summary>
    public static void MergeForPublish(PublishItem item, JsonObject live, Func<string, bool?> ownerState, bool force)
    {
        string described = item.ToString();
        YMap published = (YMap)KubeJson.ToTree(JsonNode.Parse(item.Body));
        YMap liveTree = (YMap)KubeJson.ToTree(live);
        YMap liveValues = ReadValues(liveTree, described);
        YMap publishedPorts = ReadValues(published, described).Map("ports") ?? new YMap();
        Dictionary<string, string> liveDeclared = Declared(liveTree);
        Dictionary<string, string> publishedDeclared = Declared(published);
        var publishing = new HashSet<string>(publishedDeclared.Values, StringComparer.Ordinal);
        HashSet<string> gone = GoneOwners(described, liveDeclared, publishedPorts, liveValues.Map("ports") ?? new YMap(), publishing, ownerState, force);
        if (gone.Count > 0)
        {
            // Owners that no longer exist lose what they declared: their entry points and ports go.
            liveValues = Set(liveValues, "ports", Without(liveValues.Map("ports") ?? new YMap(), liveDeclared.Where(d => gone.Contains(d.Value)).Select(d => d.Key)));
            foreach (string entryPoint in liveDeclared.Where(d => gone.Contains(d.Value)).Select(d => d.Key).ToList())
            {
                liveDeclared.Remove(entryPoint);
            }
        }

        // What the published owners declared before under another name is gone (a renamed entry
        // point); the rest keeps its place, so publishing the same thing again changes nothing.
        var livePorts = new YMap();
        foreach (var (entryPoint, settings) in liveValues.Map("ports") ?? new YMap())
        {
            if (publishedPorts[entryPoint] is not null || !(liveDeclared.TryGetValue(entryPoint, out string? owner) && publishing.Contains(owner)))
            {
                livePorts.Add(entryPoint, settings);
            }
        }

        foreach (var (entryPoint, settings) in publishedPorts)
        {
            if (liveDeclared.TryGetValue(entryPoint, out string? holder) && !publishing.Contains(holder))
            {
                throw new ClusterExposeException(ErrorIds.EntryPointTaken, ExposeErrorKind.ResourceExists,
                    $"Entry point '{entryPoint}' in {described} is already declared by {holder}; Traefik's entry points are one set for the whole cluster.",
                    described, "Give this forward another entry point name with Add-TcpForward -EntryPoint.");
            }

            int? port = PublicPort(settings);
            int? podPort = PodPort(settings);
            foreach (var (otherName, otherSettings) in livePorts.Where(p => p.Key != entryPoint))
            {
                string other = liveDeclared.TryGetValue(otherName, out string? otherOwner) ? $"entry point '{otherName}' of {otherOwner}" : $"entry point '{otherName}'";
                if (port is not null && PublicPort(otherSettings) == port)
                {
                    throw new ClusterExposeException(ErrorIds.DuplicatePublicPort, ExposeErrorKind.ResourceExists,
                        $"Port {port} of entry point '{entryPoint}' is already declared by {other} in {described}; one public port carries one forward.",
                        described, $"Remove what uses entry point '{otherName}' first, or choose another port.");
                }

                if (podPort is not null && PodPort(otherSettings) == podPort)
                {
                    throw new ClusterExposeException(ErrorIds.DuplicateContainerPort, ExposeErrorKind.ResourceExists,
                        $"Entry point '{entryPoint}' in {described} would listen on port {podPort} inside the Traefik pod, which {other} already listens on.",
                        described, $"Choose another public port for this forward, or remove what uses entry point '{otherName}' first.");
                }
            }
        }

        var declared = liveDeclared
            .Where(d => publishedDeclared.ContainsKey(d.Key) || !publishing.Contains(d.Value))
            .Select(d => publishedDeclared.TryGetValue(d.Key, out string? owner) ? KeyValuePair.Create(d.Key, owner) : d)
            .Concat(publishedDeclared.Where(d => !liveDeclared.ContainsKey(d.Key)))
            .ToList();
        IEnumerable<string> liveOwners = (ManagedObject.From(item.Type, live)?.Owners ?? Array.Empty<string>()).Where(o => !gone.Contains(o));
        List<string> owners = liveOwners.Union(Owners(published), StringComparer.Ordinal).ToList();
        YMap values = Set(liveValues, "ports", Replace(livePorts, publishedPorts));
        item.Body = KubeJson.Write(Body(published, values, owners, declared, (string?)live["metadata"]?["resourceVersion"], CreatedByClusterExpose(liveTree)));
        item.Owner = string.Join(",", owners);
    }

    /// <summary>Marks a HelmChartConfig that publishing is about to create: ClusterExpose's own, so it may go with its last owner.</summary>
    public static void MarkCreated(PublishItem item)
    {
        if (JsonNode.Parse(item.Body) is not JsonObject body || body["metadata"] is not JsonObject metadata)
        {
            return;
        }

        JsonObject annotations = metadata["annotations"] as JsonObject ?? new JsonObject();
        annotations[ManifestConventions.CreatedAnnotation] = "true";
        metadata["annotations"] = annotations;
        item.Body = body.ToJsonString();
    }

    /// <summary>
    /// The holders of the entry points and ports this publish wants that no longer exist (their
    /// namespace or Service is gone). Without <paramref name="force"/> such a holder is an error that
    /// says so; a holder that exists, or whose existence cannot be checked, is left to the checks that follow.
    /// </summary>
    private static HashSet<string> GoneOwners(string described, Dictionary<string, string> liveDeclared, YMap publishedPorts, YMap livePorts,
        HashSet<string> publishing, Func<string, bool?> ownerState, bool force)
    {
        var gone = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entryPoint, settings) in publishedPorts)
        {
            IEnumerable<string> clashing = liveDeclared
                .Where(d => !publishing.Contains(d.Value))
                .Where(d => d.Key == entryPoint
                    || (livePorts[d.Key] is { } other && ((PublicPort(settings) is { } port && PublicPort(other) == port) || (PodPort(settings) is { } podPort && PodPort(other) == podPort))))
                .Select(d => d.Value)
                .Distinct();
            foreach (string holder in clashing.Where(h => !gone.Contains(h)))
            {
                if (ownerState(holder) != false)
                {
                    continue;
                }

                if (!force)
                {
                    throw new ClusterExposeException(ErrorIds.EntryPointTaken, ExposeErrorKind.ResourceExists,
                        $"Entry point '{entryPoint}' (or its port) in {described} is still declared by {holder}, which no longer exists: its namespace or its Service is gone, but its entry points were left behind.",
                        described, "Publish again with -Force to take the entry point over; the entry points of the owner that is gone are removed.");
                }

                gone.Add(holder);
            }
        }

        return gone;
    }

    /// <summary>
    /// Takes one forward's entry points out of the live object (those it declared, and
    /// <paramref name="entryPoints"/> as its routes name them) and applies it without them, checked
    /// against the resourceVersion just read. The object is deleted instead only when ClusterExpose
    /// created it, that forward was its last owner, and nothing else is left in its values; with the
    /// last owner gone from an object someone else made, ClusterExpose lets go of it (its label and
    /// annotations) and leaves their values as they were. Nothing happens when the object is gone or no
    /// longer names the owner.
    /// </summary>
    public static void Release(ClusterSession session, KubeResourceType type, string sharedOwner, IReadOnlyCollection<string> entryPoints, bool dryRun)
    {
        JsonObject? live = session.Get(type, "kube-system", ManifestConventions.HelmChartConfigName);
        if (live is null || ManagedObject.From(type, live) is not { } current || !current.Owners.Contains(sharedOwner))
        {
            return;
        }

        List<string> remaining = current.Owners.Where(o => o != sharedOwner).ToList();
        YMap liveTree = (YMap)KubeJson.ToTree(live);
        Dictionary<string, string> declared = Declared(liveTree);
        var released = new HashSet<string>(entryPoints.Concat(declared.Where(d => d.Value == sharedOwner).Select(d => d.Key)), StringComparer.Ordinal);
        YMap liveValues = ReadValues(liveTree, current.ToString());
        YMap kept = Without(liveValues.Map("ports") ?? new YMap(), released);
        // An emptied ports mapping goes, so values that held nothing but these entry points are empty.
        YMap values = kept.Count > 0 ? Set(liveValues, "ports", kept) : Without(liveValues, new[] { "ports" });
        if (remaining.Count == 0 && CreatedByClusterExpose(liveTree) && values.Count == 0)
        {
            session.Delete(type, current.Namespace, current.Name, current.Uid, current.ResourceVersion, dryRun);
            return;
        }

        YMap body = remaining.Count == 0
            ? LetGo(liveTree, values, current.ResourceVersion)
            : Body(liveTree, values, remaining, declared.Where(d => !released.Contains(d.Key)), current.ResourceVersion, CreatedByClusterExpose(liveTree));
        // Forced: the values may be someone else's field by now (kubectl edit), and this body is exactly
        // their values less this forward's entry points, computed from the version just read (the
        // resourceVersion in the body refuses it if anything changed since), so taking the field loses nothing.
        session.Apply(type, current.Namespace, current.Name, KubeJson.Write(body), dryRun, force: true);
    }

    private static bool CreatedByClusterExpose(YMap config) =>
        config.Text("metadata", "annotations", ManifestConventions.CreatedAnnotation) == "true";

    /// <summary>
    /// The apply body that hands a HelmChartConfig back to whoever else wrote it: its values without
    /// ClusterExpose's entry points, and none of ClusterExpose's label and annotations (server-side
    /// apply removes the fields this manager applied before and no longer applies).
    /// </summary>
    private static YMap LetGo(YMap shape, YMap values, string resourceVersion)
    {
        YMap identity = shape.Map("metadata")!;
        return new YMap()
            .Add("apiVersion", shape.Text("apiVersion")!)
            .Add("kind", shape.Text("kind")!)
            .Add("metadata", new YMap()
                .Add("name", identity.Text("name")!)
                .Add("namespace", identity.Text("namespace")!)
                .Add("resourceVersion", resourceVersion))
            .Add("spec", new YMap().Add("valuesContent", ValuesText(values)));
    }

    private static YMap Without(YMap map, IEnumerable<string> keys)
    {
        var drop = new HashSet<string>(keys, StringComparer.Ordinal);
        var result = new YMap();
        foreach (var (key, value) in map.Where(p => !drop.Contains(p.Key)))
        {
            result.Add(key, value);
        }

        return result;
    }

    /// <summary>The values of a HelmChartConfig as a mapping; an absent or empty valuesContent is an empty one.</summary>
    private static YMap ReadValues(YMap config, string described)
    {
        string? text = config.Text("spec", "valuesContent");
        if (string.IsNullOrWhiteSpace(text))
        {
            return new YMap();
        }

        IReadOnlyList<YNode> parsed = YamlText.Read(text, out string? error);
        if (error is null && parsed.Count == 1 && parsed[0] is YMap values)
        {
            return values;
        }

        throw new ClusterExposeException(ErrorIds.SharedValuesUnreadable, ExposeErrorKind.InvalidData,
            $"spec.valuesContent of {described} is not one YAML mapping{(error is null ? string.Empty : ": " + error)}; its entry points cannot be merged, so nothing was changed.",
            described, "Fix spec.valuesContent with kubectl edit, then publish again.");
    }

    private static int? PublicPort(YNode settings) =>
        settings is YMap map && (map["exposedPort"] ?? map["port"]) is YScalar scalar && scalar.TryGetInt(out int port) ? port : null;

    /// <summary>The port an entry point listens on inside the Traefik pod.</summary>
    private static int? PodPort(YNode settings) =>
        settings is YMap map && map["port"] is YScalar scalar && scalar.TryGetInt(out int port) ? port : null;

    /// <summary>Which owner declared which entry point, in the annotation's order (an ordered dictionary: only ever added to).</summary>
    private static Dictionary<string, string> Declared(YMap config)
    {
        var declared = new Dictionary<string, string>(StringComparer.Ordinal);
        string text = config.Text("metadata", "annotations", ManifestConventions.EntryPointsAnnotation) ?? string.Empty;
        foreach (string pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals > 0)
            {
                declared[pair.Substring(0, equals)] = pair.Substring(equals + 1);
            }
        }

        return declared;
    }

    private static IEnumerable<string> Owners(YMap config) =>
        (config.Text("metadata", "annotations", ManifestConventions.OwnerAnnotation) ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The apply body: <paramref name="shape"/>'s identity, our label, the owners and what they declared, the values, and the version it was computed from.</summary>
    private static YMap Body(YMap shape, YMap values, IEnumerable<string> owners, IEnumerable<KeyValuePair<string, string>> declared, string? resourceVersion, bool created)
    {
        YMap identity = shape.Map("metadata")!;
        var annotations = new YMap()
            .Add(ManifestConventions.OwnerAnnotation, string.Join(",", owners))
            .Add(ManifestConventions.EntryPointsAnnotation, string.Join(",", declared.Select(d => d.Key + "=" + d.Value)));
        if (created)
        {
            annotations.Add(ManifestConventions.CreatedAnnotation, "true");
        }

        var metadata = new YMap()
            .Add("name", identity.Text("name")!)
            .Add("namespace", identity.Text("namespace")!)
            .Add("labels", new YMap().Add(ManifestConventions.ManagedByLabel, ManifestConventions.ManagedByValue))
            .Add("annotations", annotations);
        if (resourceVersion is not null)
        {
            // Server-side apply refuses the body (409) if the object changed since it was read.
            metadata.Add("resourceVersion", resourceVersion);
        }

        return new YMap()
            .Add("apiVersion", shape.Text("apiVersion")!)
            .Add("kind", shape.Text("kind")!)
            .Add("metadata", metadata)
            .Add("spec", new YMap().Add("valuesContent", ValuesText(values)));
    }

    private static YScalar ValuesText(YMap values) =>
        new(values.Count == 0 ? string.Empty : YamlText.WriteFragment(values), YScalarType.String) { Literal = values.Count > 0 };

    /// <summary><paramref name="map"/> with <paramref name="key"/> set to <paramref name="value"/>, in place if present, else last.</summary>
    private static YMap Set(YMap map, string key, YNode value) => Replace(map, new YMap().Add(key, value));

    /// <summary><paramref name="map"/> with every entry of <paramref name="changes"/> set: in place where the key exists, else appended.</summary>
    private static YMap Replace(YMap map, YMap changes)
    {
        var result = new YMap();
        foreach (var (key, value) in map)
        {
            result.Add(key, changes[key] ?? value);
        }

        foreach (var (key, value) in changes.Where(c => map[c.Key] is null))
        {
            result.Add(key, value);
        }

        return result;
    }
}
