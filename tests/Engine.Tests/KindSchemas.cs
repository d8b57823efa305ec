using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Tests;

/// <summary>
/// The fields the API server accepts for each kind ClusterExpose writes, transcribed from the
/// Kubernetes API and from the Traefik v3.7, Traefik v2.11 and Gateway API v1.6.1 CRD schemas.
/// It mirrors what <c>kubectl apply --validate=strict</c> rejects (unknown fields, missing
/// required fields, wrong scalar types) so that every golden manifest is checked without a cluster.
/// It is not a substitute for a real API server: see tests/cluster/Test-ApiServerAcceptance.ps1.
/// Paths: '.' between fields, '[]' for list items, '*' for free-form keys; ':s', ':i', ':b' give the scalar type, '!' marks required.
/// </summary>
internal static class KindSchemas
{
    private static readonly string[] Metadata = { "apiVersion:s!", "kind:s!", "metadata.name:s!", "metadata.namespace:s", "metadata.labels.*:s", "metadata.annotations.*:s", "metadata.resourceVersion:s" };

    private static readonly string[] IngressRouteFields =
    {
        "spec.entryPoints[]:s", "spec.routes[].kind:s!", "spec.routes[].match:s!", "spec.routes[].priority:i", "spec.routes[].syntax:s",
        "spec.routes[].services[].name:s!", "spec.routes[].services[].namespace:s", "spec.routes[].services[].port:i",
    };

    private static readonly string[] IngressRouteTcpV2Fields =
    {
        "spec.entryPoints[]:s", "spec.routes[].match:s!", "spec.routes[].priority:i",
        "spec.routes[].services[].name:s!", "spec.routes[].services[].namespace:s", "spec.routes[].services[].port:i!",
        "spec.routes[].services[].proxyProtocol.version:i", "spec.tls.passthrough:b",
    };

    private static readonly string[] GatewayRouteFields =
    {
        "spec.parentRefs[].name:s!", "spec.parentRefs[].namespace:s", "spec.parentRefs[].sectionName:s", "spec.parentRefs[].port:i",
        "spec.rules[].backendRefs[].name:s!", "spec.rules[].backendRefs[].port:i", "spec.rules[].backendRefs[].weight:i",
    };

    private static readonly string[] RbacRuleFields =
    {
        "rules[].apiGroups[]:s", "rules[].resources[]:s", "rules[].resourceNames[]:s", "rules[].verbs[]:s!",
    };

    private static readonly string[] RbacBindingFields =
    {
        "roleRef.apiGroup:s!", "roleRef.kind:s!", "roleRef.name:s!",
        "subjects[].kind:s!", "subjects[].name:s!", "subjects[].namespace:s", "subjects[].apiGroup:s",
    };

    private static readonly Dictionary<string, string[]> Schemas = new()
    {
        ["v1 Service"] = new[]
        {
            "spec.type:s", "spec.ipFamilyPolicy:s", "spec.ports[].name:s", "spec.ports[].protocol:s", "spec.ports[].port:i!", "spec.ports[].targetPort:i",
            "spec.ports[].nodePort:i", "spec.ports[].appProtocol:s", "spec.sessionAffinity:s", "spec.sessionAffinityConfig.clientIP.timeoutSeconds:i",
            "spec.clusterIP:s", "spec.clusterIPs[]:s", "spec.ipFamilies[]:s", "spec.internalTrafficPolicy:s", "spec.externalTrafficPolicy:s",
            "spec.selector.*:s", "spec.externalName:s", "spec.loadBalancerClass:s",
        },
        ["v1 Endpoints"] = new[] { "subsets[].addresses[].ip:s!", "subsets[].ports[].name:s", "subsets[].ports[].protocol:s", "subsets[].ports[].port:i!" },
        ["discovery.k8s.io/v1 EndpointSlice"] = new[] { "addressType:s!", "endpoints[].addresses[]:s!", "endpoints[].conditions.ready:b", "ports[].name:s", "ports[].protocol:s", "ports[].port:i" },
        ["traefik.io/v1alpha1 IngressRoute"] = IngressRouteFields,
        ["traefik.containo.us/v1alpha1 IngressRoute"] = IngressRouteFields.Where(f => !f.StartsWith("spec.routes[].syntax")).ToArray(),
        ["traefik.io/v1alpha1 IngressRouteTCP"] = IngressRouteTcpV2Fields.Concat(new[] { "spec.routes[].services[].serversTransport:s", "spec.routes[].syntax:s" }).ToArray(),
        ["traefik.containo.us/v1alpha1 IngressRouteTCP"] = IngressRouteTcpV2Fields,
        ["traefik.io/v1alpha1 ServersTransportTCP"] = new[] { "spec.proxyProtocol.version:i", "spec.dialTimeout:s", "spec.terminationDelay:s" },
        ["gateway.networking.k8s.io/v1 HTTPRoute"] = GatewayRouteFields.Concat(new[] { "spec.hostnames[]:s" }).ToArray(),
        ["gateway.networking.k8s.io/v1 TLSRoute"] = GatewayRouteFields.Concat(new[] { "spec.hostnames[]:s!" }).ToArray(),
        ["gateway.networking.k8s.io/v1alpha2 TLSRoute"] = GatewayRouteFields.Concat(new[] { "spec.hostnames[]:s" }).ToArray(),
        ["gateway.networking.k8s.io/v1 TCPRoute"] = GatewayRouteFields,
        ["gateway.networking.k8s.io/v1alpha2 TCPRoute"] = GatewayRouteFields,
        ["helm.cattle.io/v1 HelmChartConfig"] = new[] { "spec.valuesContent:s!", "spec.failurePolicy:s" },
        ["v1 ConfigMap"] = new[] { "data.*:s" },
        ["rbac.authorization.k8s.io/v1 Role"] = RbacRuleFields,
        ["rbac.authorization.k8s.io/v1 ClusterRole"] = RbacRuleFields,
        ["rbac.authorization.k8s.io/v1 RoleBinding"] = RbacBindingFields,
        ["rbac.authorization.k8s.io/v1 ClusterRoleBinding"] = RbacBindingFields,
        ["apps/v1 DaemonSet"] = new[]
        {
            "spec.selector.matchLabels.*:s!", "spec.updateStrategy.type:s", "spec.template.metadata.labels.*:s",
            "spec.template.spec.terminationGracePeriodSeconds:i", "spec.template.spec.volumes[].name:s!", "spec.template.spec.volumes[].configMap.name:s",
            "spec.template.spec.containers[].name:s!", "spec.template.spec.containers[].image:s", "spec.template.spec.containers[].command[]:s",
            "spec.template.spec.containers[].env[].name:s!", "spec.template.spec.containers[].env[].value:s",
            "spec.template.spec.containers[].ports[].name:s", "spec.template.spec.containers[].ports[].containerPort:i!",
            "spec.template.spec.containers[].ports[].hostPort:i", "spec.template.spec.containers[].ports[].protocol:s",
            "spec.template.metadata.annotations.*:s",
            "spec.template.spec.containers[].readinessProbe.httpGet.path:s", "spec.template.spec.containers[].readinessProbe.httpGet.port:s!",
            "spec.template.spec.containers[].readinessProbe.periodSeconds:i",
            "spec.template.spec.containers[].livenessProbe.httpGet.path:s", "spec.template.spec.containers[].livenessProbe.httpGet.port:s!",
            "spec.template.spec.containers[].livenessProbe.initialDelaySeconds:i", "spec.template.spec.containers[].livenessProbe.periodSeconds:i",
            "spec.template.spec.containers[].resources.requests.*:s", "spec.template.spec.containers[].resources.limits.*:s",
            "spec.template.spec.containers[].securityContext.allowPrivilegeEscalation:b",
            "spec.template.spec.containers[].securityContext.capabilities.drop[]:s", "spec.template.spec.containers[].securityContext.capabilities.add[]:s",
            "spec.template.spec.containers[].volumeMounts[].name:s!", "spec.template.spec.containers[].volumeMounts[].mountPath:s!",
            "spec.template.spec.containers[].volumeMounts[].readOnly:b",
            "spec.template.spec.volumes[].emptyDir.sizeLimit:s",
            "spec.template.spec.initContainers[].name:s!", "spec.template.spec.initContainers[].image:s", "spec.template.spec.initContainers[].command[]:s",
            "spec.template.spec.initContainers[].resources.requests.*:s", "spec.template.spec.initContainers[].resources.limits.*:s",
            "spec.template.spec.initContainers[].securityContext.allowPrivilegeEscalation:b",
            "spec.template.spec.initContainers[].securityContext.capabilities.drop[]:s",
            "spec.template.spec.initContainers[].volumeMounts[].name:s!", "spec.template.spec.initContainers[].volumeMounts[].mountPath:s!",
        },
    };

    /// <summary>Every way <paramref name="document"/> breaks the schema of its kind; empty when it conforms.</summary>
    public static List<string> Check(YMap document)
    {
        var problems = new List<string>();
        string key = $"{document.Text("apiVersion")} {document.Text("kind")}";
        if (!Schemas.TryGetValue(key, out string[]? fields))
        {
            problems.Add($"{key} is not a kind the target API servers serve.");
            return problems;
        }

        var allowed = Metadata.Concat(fields).ToDictionary(f => f.Split(':')[0], f => f.Split(':')[1]);
        var seen = new HashSet<string>();
        Walk(document, string.Empty, allowed, seen, problems);
        foreach (var required in allowed.Where(a => a.Value.EndsWith("!")))
        {
            // A required field counts only where its parent exists.
            string parent = ParentOf(required.Key);
            if (!seen.Contains(required.Key) && (parent.Length == 0 || seen.Contains(parent)))
            {
                problems.Add($"{key}: required field {required.Key} is missing.");
            }
        }

        return problems;
    }

    private static string ParentOf(string path)
    {
        int dot = path.LastIndexOf('.');
        string parent = dot < 0 ? string.Empty : path.Substring(0, dot);
        return parent.EndsWith("[]") ? parent.Substring(0, parent.Length - 2) : parent;
    }

    private static void Walk(YNode node, string path, Dictionary<string, string> allowed, HashSet<string> seen, List<string> problems)
    {
        seen.Add(path.EndsWith("[]") ? path.Substring(0, path.Length - 2) : path);
        switch (node)
        {
            case YMap map:
                foreach (var entry in map)
                {
                    string child = path.Length == 0 ? entry.Key : path + "." + entry.Key;
                    if (allowed.ContainsKey(path + ".*"))
                    {
                        child = path + ".*";
                    }

                    if (!allowed.Keys.Any(a => a == child || a.StartsWith(child + ".") || a.StartsWith(child + "[]")))
                    {
                        problems.Add($"unknown field {child}");
                        continue;
                    }

                    Walk(entry.Value, child, allowed, seen, problems);
                }

                break;
            case YSequence sequence:
                foreach (YNode item in sequence)
                {
                    Walk(item, path + "[]", allowed, seen, problems);
                }

                break;
            case YScalar scalar:
                seen.Add(path);
                if (!allowed.TryGetValue(path, out string? type))
                {
                    problems.Add($"{path} must be an object or a list, not a value.");
                    break;
                }

                char expected = type[0];
                bool ok = expected switch
                {
                    'i' => scalar.Type == YScalarType.Integer,
                    'b' => scalar.Type == YScalarType.Boolean,
                    _ => scalar.Type == YScalarType.String,
                };
                if (!ok)
                {
                    problems.Add($"{path} has the wrong type ({scalar.Type}) for '{scalar.Value}'.");
                }

                break;
        }
    }
}
