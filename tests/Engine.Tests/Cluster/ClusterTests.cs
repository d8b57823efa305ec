using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using ClusterExpose.FakeKubeApi;
using Xunit;

namespace ClusterExpose.Engine.Tests.Cluster;

/// <summary>
/// The cluster layer over the real KubernetesClient code path (kubeconfig, HTTPS with the CA from
/// the kubeconfig, bearer token, typed and custom-object calls) against FakeApiServer: a FAKE API
/// server in this process, since no Kubernetes cluster can run where these tests run. It checks
/// what a real one checks for these calls; see its summary for the list.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("clusterexpose-cluster-").FullName;
    private FakeApiServer server = null!;
    private string kubeConfig = null!;

    public async Task InitializeAsync()
    {
        server = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3 | FakeRouteApis.K3sHelm);
        kubeConfig = server.WriteKubeConfig(Path.Combine(folder, "config"));
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData(FakeRouteApis.TraefikV3, ExposeFlavor.TraefikV3, false, null)]
    [InlineData(FakeRouteApis.TraefikV2Legacy, ExposeFlavor.TraefikV2, true, null)]
    [InlineData(FakeRouteApis.TraefikV2, ExposeFlavor.TraefikV2, false, null)]
    [InlineData(FakeRouteApis.TraefikV3 | FakeRouteApis.TraefikV2Legacy, ExposeFlavor.TraefikV3, false, null)]
    [InlineData(FakeRouteApis.GatewayV1, ExposeFlavor.GatewayApi, false, GatewayRouteVersion.V1)]
    [InlineData(FakeRouteApis.GatewayV1Alpha2, ExposeFlavor.GatewayApi, false, GatewayRouteVersion.V1Alpha2)]
    [InlineData(FakeRouteApis.GatewayV1 | FakeRouteApis.TraefikV3, ExposeFlavor.TraefikV3, false, GatewayRouteVersion.V1)]
    public async Task DiscoveryPicksTheFlavorTheClusterServes(FakeRouteApis installed, ExposeFlavor expected, bool legacyGroup, GatewayRouteVersion? gateway)
    {
        await using FakeApiServer other = await FakeApiServer.StartAsync(installed);
        using ClusterSession session = Open(other.WriteKubeConfig(Path.Combine(folder, "other")));

        ClusterRouteApis apis = ClusterDiscovery.Discover(session);

        Assert.Equal(expected, ClusterDiscovery.ChooseFlavor(apis, null, session.Server));
        Assert.Equal(legacyGroup, apis.OptionsFor(expected).LegacyTraefikApiGroup);
        Assert.Equal(gateway, apis.Gateway);
    }

    [Fact]
    public async Task AClusterServingBothTraefikGroupsRunsTraefikV2UnlessToldOtherwise()
    {
        await using FakeApiServer both = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV2);
        using ClusterSession session = Open(both.WriteKubeConfig(Path.Combine(folder, "both")));

        ClusterRouteApis apis = ClusterDiscovery.Discover(session);

        Assert.True(apis.TraefikIo && apis.TraefikContainous);
        Assert.False(apis.Suits(ExposeFlavor.TraefikV3));
        Assert.True(apis.Suits(ExposeFlavor.TraefikV2));
        Assert.Equal(ExposeFlavor.TraefikV3, ClusterDiscovery.ChooseFlavor(apis, ExposeFlavor.TraefikV3, session.Server));
    }

    [Fact]
    public async Task TraefikV3sCrdsBesideLeftoverV2OnesMeanTraefikV3()
    {
        // An upgrade from v2 keeps traefik.containo.us; ServersTransportTCP in traefik.io says the CRDs are v3's.
        await using FakeApiServer upgraded = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3 | FakeRouteApis.TraefikV2Legacy);
        using ClusterSession session = Open(upgraded.WriteKubeConfig(Path.Combine(folder, "upgraded")));

        ClusterRouteApis apis = ClusterDiscovery.Discover(session);

        Assert.True(apis.TraefikV3Crds);
        Assert.True(apis.Suits(ExposeFlavor.TraefikV3));
        Assert.False(apis.Suits(ExposeFlavor.TraefikV2));
        Assert.Equal(ExposeFlavor.TraefikV3, apis.PreferredFlavor);
        Assert.False(apis.OptionsFor(ExposeFlavor.TraefikV3).LegacyTraefikApiGroup);
        // The old group has no ServersTransportTCP: only what each group serves is ever listed.
        Assert.DoesNotContain(apis.RouteTypes(new[] { ExposeFlavor.TraefikV3, ExposeFlavor.TraefikV2 }), t => t.Kind.Group == ManifestConventions.LegacyTraefikApiGroup && t.Kind.Kind == "ServersTransportTCP");
        Assert.False(apis.ServesKind(KubeKinds.Traefik(ManifestConventions.LegacyTraefikApiGroup, "ServersTransportTCP")));
        Assert.True(apis.ServesKind(KubeKinds.Traefik(ManifestConventions.LegacyTraefikApiGroup, "IngressRoute")));
    }

    [Fact]
    public async Task DiscoveryRefusesAClusterWithNoRouteApi()
    {
        await using FakeApiServer bare = await FakeApiServer.StartAsync(FakeRouteApis.None);
        using ClusterSession session = Open(bare.WriteKubeConfig(Path.Combine(folder, "bare")));

        ClusterRouteApis apis = ClusterDiscovery.Discover(session);
        var error = Assert.Throws<ClusterExposeException>(() => ClusterDiscovery.ChooseFlavor(apis, null, session.Server));
        Assert.Equal(ErrorIds.NoRouteApiInstalled, error.ErrorId);
        var asked = Assert.Throws<ClusterExposeException>(() => ClusterDiscovery.ChooseFlavor(ClusterDiscovery.Discover(session), ExposeFlavor.GatewayApi, session.Server));
        Assert.Contains("does not serve what GatewayApi needs", asked.Message);
    }

    [Fact]
    public void PublishingTwiceChangesNothingTheSecondTime()
    {
        using ClusterSession session = Open(kubeConfig);
        IReadOnlyList<PublishItem> first = DryRunAll(session, Scenario());
        Assert.All(first, item => Assert.Equal(PublishAction.Create, item.Action));
        Assert.Empty(server.All());

        // The dry run went out as server-side apply with our field manager, dryRun=All and no force.
        List<RecordedRequest> patches = server.Requests.Where(r => r.Method == "PATCH").ToList();
        Assert.Equal(first.Count, patches.Count);
        Assert.All(patches, r =>
        {
            Assert.Equal(FakeApiServer.ApplyContentType, r.ContentType?.Split(';')[0]);
            Assert.Equal("clusterexpose", r.FieldManager);
            Assert.Equal("All", r.DryRun);
            Assert.Equal("Strict", r.FieldValidation);
            Assert.Null(r.Force);
        });

        foreach (PublishItem item in first)
        {
            ClusterPublisher.Apply(session, item, force: false);
        }

        Assert.Equal(first.Count, server.All().Count);
        JsonObject service = server.Find("v1", "Service", "default", "k65")!;
        Assert.Equal("clusterexpose", (string?)service["metadata"]!["labels"]![ManifestConventions.ManagedByLabel]);
        string version = (string)service["metadata"]!["resourceVersion"]!;

        IReadOnlyList<PublishItem> second = DryRunAll(session, Scenario());
        Assert.All(second, item => Assert.Equal(PublishAction.Unchanged, item.Action));
        Assert.Equal(version, (string?)server.Find("v1", "Service", "default", "k65")!["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public void AChangedAddressIsAnUpdateOfTheEndpointsOnly()
    {
        using ClusterSession session = Open(kubeConfig);
        foreach (PublishItem item in DryRunAll(session, Scenario()))
        {
            ClusterPublisher.Apply(session, item, force: false);
        }

        IReadOnlyList<PublishItem> moved = DryRunAll(session, Scenario("10.21.22.66"));

        PublishItem slice = Assert.Single(moved, i => i.Action == PublishAction.Update);
        Assert.Equal("EndpointSlice", slice.Type.Kind.Kind);
        Assert.Equal(new[] { "endpoints" }, slice.ChangedFields);
    }

    [Fact]
    public void AFieldAnotherManagerOwnsIsAConflictNamingFieldAndManager()
    {
        server.Seed(JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"k65","namespace":"default"},
             "spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080}]}}
            """)!.AsObject(), manager: "kubectl-edit");
        using ClusterSession session = Open(kubeConfig);
        PublishItem service = Items(session, Scenario()).First(i => i.Type.Kind.Kind == "Service");

        var conflict = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, service, force: false));

        Assert.Equal(ErrorIds.ClusterFieldConflict, conflict.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidOperation, conflict.Kind);
        Assert.Contains(".spec.ports[port=80,protocol=\"TCP\"].targetPort", conflict.Message);
        Assert.Contains("kubectl-edit", conflict.Message);
        Assert.Contains("-Force", conflict.RecommendedAction);

        ClusterPublisher.DryRun(session, service, force: true);
        Assert.Equal(PublishAction.Update, service.Action);
        Assert.Contains("spec.ports", service.ChangedFields);
        Assert.Equal("true", server.Requests.Last(r => r.Method == "PATCH").Force);
    }

    [Fact]
    public void TheServersValidationComesBackWithItsCauses()
    {
        using ClusterSession session = Open(kubeConfig);
        var errors = new List<ExposeProblem>();
        IReadOnlyList<YNode> documents = YamlText.Read("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: k65-ipv4, namespace: default}
            addressType: IPv4
            endpoints: [{addresses: [127.0.0.1]}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: k65, namespace: default}
            spec: {ports: [{port: 80}], selectr: {app: x}}
            """, out _);
        IReadOnlyList<PublishItem> items = ClusterPublisher.Prepare(documents.OfType<YMap>(), "default", "test", errors);
        Assert.Empty(errors);

        var invalid = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, items[0], force: false));
        var strict = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, items[1], force: false));

        Assert.Equal(ErrorIds.ClusterInvalidObject, invalid.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidData, invalid.Kind);
        Assert.Contains("endpoints[0].addresses", invalid.Message);
        Assert.Contains("loopback", invalid.Message);
        Assert.Equal(ErrorIds.ClusterInvalidObject, strict.ErrorId);
        // A real server answers an unknown field in server-side apply with a 500, whatever fieldValidation says.
        Assert.Equal(ExposeErrorKind.InvalidData, strict.Kind);
        Assert.Contains(".spec.selectr is not a field of Service", strict.Message);
        Assert.Empty(server.All());
    }

    [Fact]
    public void AKindClusterExposeDoesNotWriteIsRefusedBeforeAnyRequest()
    {
        var errors = new List<ExposeProblem>();
        IReadOnlyList<YNode> documents = YamlText.Read("apiVersion: v1\nkind: Secret\nmetadata: {name: token}\n", out _);

        Assert.Empty(ClusterPublisher.Prepare(documents.OfType<YMap>(), "default", "test", errors));
        Assert.Equal(ErrorIds.UnsupportedKind, Assert.Single(errors).ErrorId);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void TheInventoryRebuildsTheModelAndSkipsForeignObjects()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, Scenario());
        SeedForeignService("web");

        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), null);

        Assert.Empty(inventory.Model.Errors);
        Assert.Equal(Scenario().OrderBy(r => r.Name), inventory.Model.Resources.OrderBy(r => r.Name));
        Assert.DoesNotContain(inventory.Objects, o => o.Name == "web");
        Assert.Contains(server.Requests, r => r.Method == "GET" && r.Query.Contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dclusterexpose", StringComparison.Ordinal));
    }

    [Fact]
    public void RemovingTakesExactlyOurObjectsAndLeavesASameNamedForeignOne()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, Scenario());
        SeedForeignService("k65", "edge");
        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), null);

        RemovalPlan plan = ClusterRemover.Plan(session, inventory, "ExposedHost/k65", "default");
        int before = server.All().Count;
        ClusterRemover.Delete(session, plan.Delete, dryRun: true);
        Assert.Equal(before, server.All().Count);
        Assert.Equal(
            new[] { "EndpointSlice/k65-ipv4", "IngressRoute/k65-http", "IngressRouteTCP/k65-https", "Service/k65" },
            plan.Delete.Select(o => $"{o.Type.Kind.Kind}/{o.Name}").OrderBy(n => n, StringComparer.Ordinal));
        ClusterRemover.Delete(session, plan.Delete, dryRun: false);

        Assert.Null(server.Find("v1", "Service", "default", "k65"));
        Assert.NotNull(server.Find("v1", "Service", "edge", "k65"));
        Assert.NotNull(server.Find("v1", "Service", "default", "pg"));
        Assert.All(server.Requests.Where(r => r.Method == "DELETE"), r => Assert.Contains("/namespaces/default/", r.Path));
    }

    [Fact]
    public void PublishingForwardsOneAtATimeKeepsTheEntryPointsOfEveryOne()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) });
        PublishAll(session, new IExposeResource[] { Forward("ssh", 2222) });
        // Same name in another namespace: its own owner, under an entry point of its own.
        PublishAll(session, new IExposeResource[] { Forward("pg", 6432, "edge", "pg-edge") });

        JsonObject config = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal(new[] { "pg", "ssh", "pg-edge" }, Ports(config).Keys);
        Assert.Equal(6432, Ports(config)["pg-edge"]);
        Assert.Equal("default/TcpForward/pg,default/TcpForward/ssh,edge/TcpForward/pg", Annotation(config, ManifestConventions.OwnerAnnotation));
        Assert.Equal("pg=default/TcpForward/pg,ssh=default/TcpForward/ssh,pg-edge=edge/TcpForward/pg", Annotation(config, ManifestConventions.EntryPointsAnnotation));

        // Publishing one of them again, unchanged, changes nothing; with a new port, only its entry point moves.
        Assert.All(DryRunAll(session, new IExposeResource[] { Forward("ssh", 2222) }), i => Assert.Equal(PublishAction.Unchanged, i.Action));
        PublishAll(session, new IExposeResource[] { Forward("ssh", 2223) });
        config = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal(new[] { "pg", "ssh", "pg-edge" }, Ports(config).Keys);
        Assert.Equal(2223, Ports(config)["ssh"]);
    }

    [Fact]
    public void AnEntryPointOrPortSomeoneElseHoldsIsRefusedBeforeAnythingIsWritten()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) });
        string version = (string)server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!["metadata"]!["resourceVersion"]!;

        PublishItem samePort = Items(session, new IExposeResource[] { Forward("db", 5432) }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);
        var port = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, samePort, force: false));
        Assert.Equal(ErrorIds.DuplicatePublicPort, port.ErrorId);
        Assert.Contains("entry point 'pg' of default/TcpForward/pg", port.Message);

        PublishItem sameEntryPoint = Items(session, new IExposeResource[] { Forward("pg", 6432, "edge") }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);
        var entryPoint = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, sameEntryPoint, force: false));
        Assert.Equal(ErrorIds.EntryPointTaken, entryPoint.ErrorId);
        Assert.Equal(ExposeErrorKind.ResourceExists, entryPoint.Kind);

        Assert.Equal(version, (string?)server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public void AForwardThatWouldListenWhereALiveEntryPointListensIsRefused()
    {
        // Another forward's entry point inside the Traefik pod on 10022, where a forward of public port 22 would listen.
        SeedForwardService("git");
        server.Seed(JsonNode.Parse("""
            {"apiVersion":"helm.cattle.io/v1","kind":"HelmChartConfig","metadata":{"name":"traefik","namespace":"kube-system","labels":{"app.kubernetes.io/managed-by":"clusterexpose"},
             "annotations":{"clusterexpose.io/owner":"default/TcpForward/git","clusterexpose.io/entry-points":"git=default/TcpForward/git"}},
             "spec":{"valuesContent":"ports:\n  git:\n    port: 10022\n    exposedPort: 10022\n    expose:\n      default: true\n"}}
            """)!.AsObject());
        using ClusterSession session = Open(kubeConfig);
        string version = (string)server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!["metadata"]!["resourceVersion"]!;
        PublishItem item = Items(session, new IExposeResource[] { Forward("ssh", 22) }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);
        var clash = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, item, force: false));
        Assert.Equal(ErrorIds.DuplicateContainerPort, clash.ErrorId);
        Assert.Equal(ExposeErrorKind.ResourceExists, clash.Kind);
        Assert.Contains("port 10022 inside the Traefik pod, which entry point 'git' of default/TcpForward/git already listens on", clash.Message);
        Assert.Equal(version, (string?)server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public void RemovingAForwardTakesOnlyItsEntryPointOutAndTheLastOneDeletesTheConfig()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432), Forward("ssh", 2222) });
        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");

        RemovalPlan pg = ClusterRemover.Plan(session, inventory, "TcpForward/pg", "default");
        RemovalPlan ssh = ClusterRemover.Plan(session, inventory, "TcpForward/ssh", "default");
        Assert.DoesNotContain(pg.Delete, o => o.Type.Kind == KubeKinds.HelmChartConfig);
        Assert.Equal(new[] { "pg" }, Assert.Single(pg.Release).EntryPoints);

        // Both dry runs first, as Remove-TcpForward sends them; then the real thing, one after the other.
        int version = server.All().Count;
        ClusterRemover.Execute(session, pg, dryRun: true);
        ClusterRemover.Execute(session, ssh, dryRun: true);
        Assert.Equal(version, server.All().Count);
        ClusterRemover.Execute(session, pg, dryRun: false);

        JsonObject config = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal(new[] { "ssh" }, Ports(config).Keys);
        Assert.Equal("default/TcpForward/ssh", Annotation(config, ManifestConventions.OwnerAnnotation));
        Assert.Null(server.Find("v1", "Service", "default", "pg"));
        Assert.NotNull(server.Find("v1", "Service", "default", "ssh"));

        ClusterRemover.Execute(session, ssh, dryRun: false);
        Assert.Null(server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik"));
    }

    [Fact]
    public void OneObjectTheServerRefusesMeansNothingIsWritten()
    {
        using ClusterSession session = Open(kubeConfig);
        var errors = new List<ExposeProblem>();
        IReadOnlyList<YNode> documents = YamlText.Read("""
            apiVersion: v1
            kind: Service
            metadata: {name: fine, namespace: default}
            spec: {ports: [{port: 80}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: k65, namespace: default}
            spec: {ports: [{port: 80}], selectr: {app: x}}
            """, out _);
        IReadOnlyList<PublishItem> items = ClusterPublisher.Prepare(documents.OfType<YMap>(), "default", "test", errors);
        var host = new RecordingChangeHost();
        var published = new List<PublishedItem>();

        IReadOnlyList<ExposeProblem> refused = ClusterChanges.Publish(session, items, force: false, host, published.Add);

        Assert.Equal(ErrorIds.ClusterInvalidObject, Assert.Single(refused).ErrorId);
        Assert.Empty(published);
        Assert.Empty(host.Asked);
        Assert.Empty(server.All());
        Assert.Contains(host.Said, s => s.Contains("refused 1 of 2", StringComparison.Ordinal));
    }

    [Fact]
    public void UnderWhatIfEveryChangeIsAskedAndReportedAndNothingChanges()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) });
        var before = server.All().Select(o => (string?)o["metadata"]!["resourceVersion"]).ToList();
        var host = new RecordingChangeHost(whatIf: true);
        var planned = new List<PublishedItem>();

        Assert.Empty(ClusterChanges.Publish(session, Items(session, new IExposeResource[] { Forward("pg", 5433), Forward("ssh", 2222) }), force: false, host, planned.Add));

        Assert.Equal(before, server.All().Select(o => (string?)o["metadata"]!["resourceVersion"]).ToList());
        Assert.Contains(planned, p => p.Item.Name == "ssh" && p.Item.Action == PublishAction.Create);
        Assert.All(planned, p => Assert.Null(p.Applied));
        Assert.Equal(planned.Count, host.Asked.Count);
        Assert.Contains(host.Asked, a => a.StartsWith("Create: ", StringComparison.Ordinal));
        Assert.Contains(host.Asked, a => a.StartsWith("Update ", StringComparison.Ordinal));
    }

    [Fact]
    public void ARemovalDeclinedOrRefusedDeletesNothing()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432), Forward("ssh", 2222) });
        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");
        var plans = new[] { "pg", "ssh" }.Select(n => new PlannedRemoval<string>("TcpForward/" + n, "default", ClusterRemover.Plan(session, inventory, "TcpForward/" + n, "default"), n)).ToList();
        int objects = server.All().Count;

        // Declined (as under -WhatIf): asked about each, nothing deleted.
        var declined = new RecordingChangeHost(whatIf: true);
        var removed = new List<string>();
        Assert.Empty(ClusterChanges.Remove(session, plans, Array.Empty<ExposeProblem>(), declined, removed.Add));
        Assert.Equal(2, declined.Asked.Count);
        Assert.Empty(removed);
        Assert.Equal(objects, server.All().Count);

        // A problem found while planning (a name not found) stops every delete.
        var notFound = new ExposeProblem(ErrorIds.ExposureNotFound, ExposeErrorKind.ObjectNotFound, "No TcpForward named 'db'.");
        var consenting = new RecordingChangeHost();
        Assert.Equal(new[] { notFound }, ClusterChanges.Remove(session, plans, new[] { notFound }, consenting, removed.Add));
        Assert.Empty(consenting.Asked);
        Assert.Equal(objects, server.All().Count);

        Assert.Empty(ClusterChanges.Remove(session, plans, Array.Empty<ExposeProblem>(), consenting, removed.Add));
        Assert.Equal(new[] { "pg", "ssh" }, removed);
        Assert.Null(server.Find("v1", "Service", "default", "pg"));
    }

    [Fact]
    public void TheSharedChartConfigChangedSinceItWasReadIsNotOverwritten()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) });
        PublishItem item = Items(session, new IExposeResource[] { Forward("ssh", 2222) }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);
        ClusterPublisher.DryRun(session, item, force: false);
        server.Touch("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik");

        var refused = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.Apply(session, item, force: false));

        Assert.Contains("the object has been modified", refused.Message);
        Assert.Equal(new[] { "pg" }, Ports(server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!).Keys);
    }

    [Fact]
    public void AnObjectChangedSinceItWasReadIsNotDeleted()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, Scenario());
        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), null);
        RemovalPlan plan = ClusterRemover.Plan(session, inventory, "ExposedHost/k65", "default");
        server.Touch("traefik.io/v1alpha1", "IngressRoute", "default", "k65-http");

        var refused = Assert.Throws<ClusterExposeException>(() => ClusterRemover.Delete(session, plan.Delete, dryRun: true));

        Assert.Equal(ErrorIds.ClusterPreconditionFailed, refused.ErrorId);
        Assert.Contains("does not match the ResourceVersion in record", refused.Message);
        Assert.NotNull(server.Find("traefik.io/v1alpha1", "IngressRoute", "default", "k65-http"));
        Assert.NotNull(server.Find("v1", "Service", "default", "k65"));
    }

    [Fact]
    public void NothingOfOursUnderANameThatExistsSaysSo()
    {
        using ClusterSession session = Open(kubeConfig);
        SeedForeignService("k65");

        ClusterExposeException error = ClusterRemover.NothingToRemove(session, "ExposedHost/k65", "ExposedHost", "k65", "default");
        ClusterExposeException missing = ClusterRemover.NothingToRemove(session, "ExposedHost/k66", "ExposedHost", "k66", "default");

        Assert.Equal(ErrorIds.NotManagedByClusterExpose, error.ErrorId);
        Assert.Equal(ErrorIds.ExposureNotFound, missing.ErrorId);
        Assert.Equal(ExposeErrorKind.ObjectNotFound, missing.Kind);
    }

    [Fact]
    public void ServerFailuresBecomeErrorsWithStableIds()
    {
        using ClusterSession wrongToken = Open(server.WriteKubeConfig(Path.Combine(folder, "stale"), token: "expired"));
        var unauthorized = Assert.Throws<ClusterExposeException>(() => ClusterDiscovery.Discover(wrongToken));
        Assert.Equal(ErrorIds.ClusterUnauthorized, unauthorized.ErrorId);
        Assert.Equal(ExposeErrorKind.PermissionDenied, unauthorized.Kind);

        server.Forbid("patch", "ingressroutes");
        using ClusterSession session = Open(kubeConfig);
        PublishItem route = Items(session, Scenario()).First(i => i.Type.Kind.Kind == "IngressRoute");
        var forbidden = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, route, force: false));
        Assert.Equal(ErrorIds.ClusterForbidden, forbidden.ErrorId);
        Assert.Contains("cannot patch resource \"ingressroutes\" in API group \"traefik.io\"", forbidden.Message);
        Assert.Contains("New-ExposeRoleManifest", forbidden.RecommendedAction);

        var notFound = Assert.Throws<ClusterExposeException>(() => session.Apply(new KubeResourceType(KubeKinds.Service, "v1"), "nowhere", "k65", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"k65\"}}", dryRun: true, force: false));
        Assert.Equal(ErrorIds.ClusterNamespaceNotFound, notFound.ErrorId);
        Assert.Contains("Namespace nowhere does not exist", notFound.Message);
    }

    [Fact]
    public async Task AClusterThatIsDownIsAConnectionErrorNamingTheServer()
    {
        string config = server.WriteKubeConfig(Path.Combine(folder, "down"));
        string url = server.Url.ToString().TrimEnd('/');
        await server.DisposeAsync();
        server = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3);

        using ClusterSession session = Open(config);
        var error = Assert.Throws<ClusterExposeException>(() => ClusterDiscovery.Discover(session));

        Assert.Equal(ErrorIds.ClusterUnreachable, error.ErrorId);
        Assert.Equal(ExposeErrorKind.ConnectionError, error.Kind);
        Assert.Contains(url, error.Message);
    }

    [Fact]
    public void TheKubeConfigIsCheckedBeforeAnyRequest()
    {
        var missing = Assert.Throws<ClusterExposeException>(() => Open(Path.Combine(folder, "absent")));
        Assert.Equal(ErrorIds.KubeConfigNotFound, missing.ErrorId);

        var context = Assert.Throws<ClusterExposeException>(() => ClusterConnection.Open(new ClusterConnectionOptions { KubeConfigPath = kubeConfig, Context = "prod" }));
        Assert.Equal(ErrorIds.KubeContextNotFound, context.ErrorId);
        Assert.Contains("it has: fake", context.Message);

        File.WriteAllText(Path.Combine(folder, "broken"), "clusters: [[[");
        var broken = Assert.Throws<ClusterExposeException>(() => Open(Path.Combine(folder, "broken")));
        Assert.Equal(ErrorIds.KubeConfigInvalid, broken.ErrorId);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void TheNamespaceComesFromTheContextUnlessGiven()
    {
        string withNamespace = server.WriteKubeConfig(Path.Combine(folder, "edge"), namespaceName: "edge");

        using ClusterSession fromContext = Open(withNamespace);
        using ClusterSession given = ClusterConnection.Open(new ClusterConnectionOptions { KubeConfigPath = withNamespace, Namespace = "kube-system" });
        using ClusterSession fallback = Open(kubeConfig);

        Assert.Equal("edge", fromContext.Namespace);
        Assert.Equal("kube-system", given.Namespace);
        Assert.Equal("default", fallback.Namespace);
        Assert.Equal(new[] { "fake" }, ClusterConnection.ContextNames(withNamespace));
    }

    [Fact]
    public void DeprecationWarningsOfTheServerAreKept()
    {
        using ClusterSession session = Open(kubeConfig);
        Assert.Null(session.Get(new KubeResourceType(KubeKinds.Endpoints, "v1"), "default", "k65"));

        Assert.Equal(new[] { FakeApiServer.EndpointsDeprecation }, session.TakeWarnings());
        Assert.Empty(session.TakeWarnings());
    }

    [Fact]
    public void TheClustersRoutesAreReadFromEveryNamespaceWhoeverMadeThem()
    {
        server.Seed(JsonNode.Parse("""
            {"apiVersion":"traefik.io/v1alpha1","kind":"IngressRouteTCP","metadata":{"name":"catch-all","namespace":"edge"},
             "spec":{"entryPoints":["websecure"],"routes":[{"match":"HostSNI(`*`)","services":[{"name":"fallback","port":443}]}],"tls":{"passthrough":true}}}
            """)!.AsObject());
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, Scenario());

        IReadOnlyList<ClusterExpose.Engine.Routing.TraefikRouteObject> routes = ClusterRoutes.Read(session, ClusterDiscovery.Discover(session), withBackends: false).RouteObjects;

        Assert.Contains(routes, r => r.Source.EndsWith("edge/catch-all", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Source.EndsWith("default/k65-https", StringComparison.Ordinal));
    }

    [Fact]
    public void TheRenderedRolesAllowEveryRequestTheCmdletsSendAndNoMore()
    {
        // Everything the cluster cmdlets send in one namespace: publish, list, remove a forward (with the
        // shared k3s HelmChartConfig), and read every route of the cluster for Test-SniRoute -Context.
        server.ClearRequests();
        using ClusterSession session = Open(kubeConfig);
        ClusterRouteApis apis = ClusterDiscovery.Discover(session);
        PublishAll(session, Scenario().Append(Forward("ssh", 2222)).ToList());
        ClusterInventory inventory = ClusterInventory.Read(session, apis, "default");
        RemovalPlan plan = ClusterRemover.Plan(session, inventory, "TcpForward/pg", "default");
        ClusterRemover.Execute(session, plan, dryRun: true);
        ClusterRemover.Execute(session, plan, dryRun: false);
        int beforeReading = server.Requests.Count;
        Assert.NotEmpty(ClusterRoutes.Read(session, apis, withBackends: false).RouteObjects);
        var sent = Authorizations(server.Requests);
        var readingRoutes = Authorizations(server.Requests.Skip(beforeReading));
        Assert.Contains(sent, a => a.Verb == "delete" && a.Resource == "services");
        Assert.Contains(sent, a => a.Verb == "patch" && a.Resource == "helmchartconfigs");
        Assert.Contains(readingRoutes, a => a.Verb == "list" && a.Namespace is null && a.Resource == "ingressroutetcps");

        IReadOnlyList<YDocument> rbac = RbacManifestBuilder.Build(new RbacOptions { EntryPoints = true, ReadAllRoutes = true }, out var errors);
        Assert.Empty(errors);
        Assert.All(sent, a => Assert.True(Allows(rbac, a), $"the rendered roles do not allow {a}"));

        // Without the reader role, listing every namespace's routes is what an account could not do.
        IReadOnlyList<YDocument> publisherOnly = RbacManifestBuilder.Build(new RbacOptions { EntryPoints = true }, out _);
        Assert.Equal(readingRoutes, sent.Where(a => !Allows(publisherOnly, a)).ToList());
        YMap reader = rbac.Single(d => d.Root.Text("kind") == "ClusterRole").Root;
        Assert.All(reader.Sequence("rules")!.OfType<YMap>(), r => Assert.Equal("list", Assert.Single(r.Sequence("verbs")!.OfType<YScalar>()).Value));
    }

    [Fact]
    public void TheDryRunOfEveryDeleteChangesNothing()
    {
        // A DELETE with a body takes its DeleteOptions from the body alone (the fake reads them as the
        // recorded real server does): a dryRun in the query beside the body would delete for real.
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, Scenario().Append(Forward("ssh", 2222)).ToList());
        Dictionary<string, string> before = server.All().ToDictionary(o => $"{o["kind"]}/{o["metadata"]!["namespace"]}/{o["metadata"]!["name"]}", o => (string)o["metadata"]!["resourceVersion"]!);
        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");
        server.ClearRequests();

        foreach (string owner in new[] { "ExposedHost/k65", "TcpForward/pg", "TcpForward/ssh" })
        {
            ClusterRemover.Execute(session, ClusterRemover.Plan(session, inventory, owner, "default"), dryRun: true);
        }

        Assert.Equal(before, server.All().ToDictionary(o => $"{o["kind"]}/{o["metadata"]!["namespace"]}/{o["metadata"]!["name"]}", o => (string)o["metadata"]!["resourceVersion"]!));
        List<RecordedRequest> deletes = server.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(10, deletes.Count);
        Assert.All(deletes, d =>
        {
            Assert.Equal("All", d.DryRun);
            Assert.DoesNotContain("dryRun", d.Query, StringComparison.Ordinal);
            JsonNode options = JsonNode.Parse(d.Body!)!;
            Assert.Equal("All", (string?)options["dryRun"]![0]);
            Assert.NotNull(options["preconditions"]!["uid"]);
            Assert.NotNull(options["preconditions"]!["resourceVersion"]);
        });
        Assert.All(server.Requests.Where(r => r.Method == "PATCH"), p => Assert.Equal("All", p.DryRun));
    }

    [Fact]
    public void AUsersOwnChartConfigIsMergedIntoAndNeverDeleted()
    {
        server.Seed(JsonNode.Parse("""
            {"apiVersion":"helm.cattle.io/v1","kind":"HelmChartConfig","metadata":{"name":"traefik","namespace":"kube-system"},
             "spec":{"valuesContent":"logs:\n  general:\n    level: DEBUG\nports:\n  mqtt:\n    port: 1883\n    expose:\n      default: true\n"}}
            """)!.AsObject(), manager: "kubectl");
        using ClusterSession session = Open(kubeConfig);
        PublishItem item = Items(session, new IExposeResource[] { Forward("pg", 5432) }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);

        var conflict = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, item, force: false));
        Assert.Equal(ErrorIds.ClusterFieldConflict, conflict.ErrorId);
        Assert.Contains("spec.valuesContent of helmchartconfigs.helm.cattle.io kube-system/traefik is managed by kubectl", conflict.Message);
        Assert.Contains("keeps every other value", conflict.Message);
        Assert.Contains("-Force", conflict.RecommendedAction);

        // With -Force the entry point is merged into the user's values and nothing of theirs is lost.
        ClusterPublisher.DryRun(session, item, force: true);
        Assert.Equal(PublishAction.Update, item.Action);
        ClusterPublisher.Apply(session, item, force: true);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) }, force: true);
        JsonObject merged = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal(new[] { "mqtt", "pg" }, Ports(merged).Keys);
        Assert.Contains("level: DEBUG", (string)merged["spec"]!["valuesContent"]!);

        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");
        RemovalPlan plan = ClusterRemover.Plan(session, inventory, "TcpForward/pg", "default");
        ClusterRemover.Execute(session, plan, dryRun: true);
        ClusterRemover.Execute(session, plan, dryRun: false);

        // The forward's own entry point is gone; the user's values and the object stay, and ClusterExpose no longer claims it.
        JsonObject config = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal(new[] { "mqtt" }, Ports(config).Keys);
        Assert.Contains("level: DEBUG", (string)config["spec"]!["valuesContent"]!);
        Assert.Null(config["metadata"]!["labels"]?[ManifestConventions.ManagedByLabel]);
        Assert.Null(config["metadata"]!["annotations"]?[ManifestConventions.OwnerAnnotation]);
        Assert.Null(server.Find("v1", "Service", "default", "pg"));
    }

    [Fact]
    public void AChartConfigClusterExposeCreatedGoesOnlyWhenNothingElseIsInIt()
    {
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) });
        JsonObject created = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal("true", Annotation(created, ManifestConventions.CreatedAnnotation));

        // Someone adds a value of their own to it (kubectl edit), and takes the field over doing so.
        var edited = (JsonObject)created.DeepClone();
        edited["spec"]!["valuesContent"] = ((string)created["spec"]!["valuesContent"]!).TrimEnd() + "\nlogs:\n  access:\n    enabled: true\n";
        ((JsonObject)edited["metadata"]!).Remove("managedFields");
        ((JsonObject)edited["metadata"]!).Remove("resourceVersion");
        server.Seed(edited, manager: "kubectl-edit");

        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");
        RemovalPlan plan = ClusterRemover.Plan(session, inventory, "TcpForward/pg", "default");
        ClusterRemover.Execute(session, plan, dryRun: true);
        ClusterRemover.Execute(session, plan, dryRun: false);

        JsonObject kept = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        string values = (string)kept["spec"]!["valuesContent"]!;
        Assert.DoesNotContain("5432", values);
        Assert.DoesNotContain("ports", values);
        Assert.Contains("enabled: true", values);
    }

    [Fact]
    public void AnEntryPointWhoseOwnerIsGoneIsTakenOverOnlyWithForce()
    {
        server.AddNamespace("old");
        using ClusterSession session = Open(kubeConfig);
        PublishAll(session, new IExposeResource[] { Forward("pg", 5432, "old") });
        server.RemoveNamespace("old");

        PublishItem item = Items(session, new IExposeResource[] { Forward("pg", 5432) }).Single(i => i.Type.Kind == KubeKinds.HelmChartConfig);
        var taken = Assert.Throws<ClusterExposeException>(() => ClusterPublisher.DryRun(session, item, force: false));
        Assert.Equal(ErrorIds.EntryPointTaken, taken.ErrorId);
        Assert.Contains("old/TcpForward/pg, which no longer exists", taken.Message);
        Assert.Contains("-Force", taken.RecommendedAction);

        PublishAll(session, new IExposeResource[] { Forward("pg", 5432) }, force: true);
        JsonObject config = server.Find("helm.cattle.io/v1", "HelmChartConfig", "kube-system", "traefik")!;
        Assert.Equal("default/TcpForward/pg", Annotation(config, ManifestConventions.OwnerAnnotation));
        Assert.Equal("pg=default/TcpForward/pg", Annotation(config, ManifestConventions.EntryPointsAnnotation));
        Assert.Equal(new[] { "pg" }, Ports(config).Keys);
    }

    [Fact]
    public async Task AnUpgradedClusterServingBothTraefikGroupsIsReadAndRemovedFrom()
    {
        // k3s upgraded from Traefik v2 keeps traefik.containo.us, which has no serverstransporttcps (a 404 to list).
        await using FakeApiServer upgraded = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3 | FakeRouteApis.TraefikV2Legacy | FakeRouteApis.GatewayV1 | FakeRouteApis.K3sHelm);
        using ClusterSession session = Open(upgraded.WriteKubeConfig(Path.Combine(folder, "upgraded")));
        PublishAll(session, Scenario());

        ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), "default");

        Assert.Empty(inventory.Model.Errors);
        Assert.Equal(Scenario().OrderBy(r => r.Name), inventory.Model.Resources.OrderBy(r => r.Name));
        Assert.DoesNotContain(upgraded.Requests, r => r.Path.Contains("traefik.containo.us/v1alpha1/namespaces", StringComparison.Ordinal));
        Assert.DoesNotContain(upgraded.Requests, r => r.Path.Contains("gateway.networking.k8s.io/v1/namespaces", StringComparison.Ordinal));
        foreach (string owner in new[] { "ExposedHost/k65", "TcpForward/pg" })
        {
            RemovalPlan plan = ClusterRemover.Plan(session, inventory, owner, "default");
            ClusterRemover.Execute(session, plan, dryRun: true);
            ClusterRemover.Execute(session, plan, dryRun: false);
        }

        Assert.Empty(upgraded.All());
    }

    [Fact]
    public async Task AnAccountBoundOnlyByTheRenderedRolesDoesEverything()
    {
        // The cluster serves the Gateway API too; the Role grants Traefik v3's kinds, and the readers list no more.
        await using FakeApiServer cluster = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3 | FakeRouteApis.GatewayV1 | FakeRouteApis.K3sHelm);
        cluster.AddNamespace("ci");
        IReadOnlyList<YDocument> rbac = RbacManifestBuilder.Build(new RbacOptions { Namespace = "ci", ServiceAccount = "deployer", EntryPoints = true, ReadAllRoutes = true }, out _);
        string token = cluster.AddAccount("system:serviceaccount:ci:deployer", FakeApiServer.ParseDocuments(YamlText.Write(rbac)));
        using ClusterSession session = Open(cluster.WriteKubeConfig(Path.Combine(folder, "ci"), namespaceName: "ci", token: token));
        IReadOnlyList<IExposeResource> set = new IExposeResource[]
        {
            ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }, @namespace: "ci").Value!,
            Forward("pg", 5432, "ci"),
        };

        PublishAll(session, set);
        Assert.All(DryRunAll(session, set), i => Assert.Equal(PublishAction.Unchanged, i.Action));
        ClusterRouteApis apis = ClusterDiscovery.Discover(session);
        ClusterInventory inventory = ClusterInventory.Read(session, apis, "ci");
        Assert.Equal(2, inventory.Model.Resources.Count);
        Assert.NotEmpty(ClusterRoutes.Read(session, apis, withBackends: true).RouteObjects);
        foreach (string owner in new[] { "ExposedHost/k65", "TcpForward/pg" })
        {
            RemovalPlan plan = ClusterRemover.Plan(session, inventory, owner, "ci");
            ClusterRemover.Execute(session, plan, dryRun: true);
            ClusterRemover.Execute(session, plan, dryRun: false);
        }

        Assert.Empty(cluster.All());
        Assert.DoesNotContain(cluster.Requests, r => r.Path.Contains("/gateway.networking.k8s.io/v1/namespaces", StringComparison.Ordinal));
    }

    private static List<(string Verb, string Group, string Resource, string? Namespace, string? Name)> Authorizations(IEnumerable<RecordedRequest> requests) =>
        requests.Select(Authorization).Where(a => a is not null).Select(a => a!.Value).ToList();

    /// <summary>What RBAC would check for a request (null for discovery, which every account may read).</summary>
    private static (string Verb, string Group, string Resource, string? Namespace, string? Name)? Authorization(RecordedRequest request)
    {
        string[] parts = request.Path.Trim('/').Split('/');
        int rest = parts[0] == "api" ? 2 : parts[0] == "apis" ? 3 : parts.Length;
        if (parts.Length <= rest)
        {
            return null;
        }

        string group = parts[0] == "api" ? string.Empty : parts[1];
        string[] path = parts[rest..];
        (string resource, string? namespaceName, string? name) = path[0] == "namespaces" && path.Length >= 3
            ? (path[2], path[1], path.Length > 3 ? path[3] : null)
            : (path[0], (string?)null, path.Length > 1 ? path[1] : null);
        string verb = request.Method switch
        {
            "GET" => name is null ? "list" : "get",
            "POST" => "create",
            "PATCH" => "patch",
            "PUT" => "update",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => request.Method,
        };
        return (verb, group, resource, namespaceName, name);
    }

    private static bool Allows(IReadOnlyList<YDocument> rbac, (string Verb, string Group, string Resource, string? Namespace, string? Name) asked) =>
        rbac.Select(d => d.Root)
            .Where(role => role.Text("kind") == "ClusterRole" || (role.Text("kind") == "Role" && asked.Namespace is not null && role.Text("metadata", "namespace") == asked.Namespace))
            .SelectMany(role => role.Sequence("rules")!.OfType<YMap>())
            .Any(rule => Has(rule, "apiGroups", asked.Group) && Has(rule, "resources", asked.Resource) && Has(rule, "verbs", asked.Verb)
                && (rule.Sequence("resourceNames") is null || (asked.Name is not null && Has(rule, "resourceNames", asked.Name))));

    private static bool Has(YMap rule, string field, string value) => rule.Sequence(field)!.OfType<YScalar>().Any(s => s.Value == value);

    [Fact]
    public void TheRenderedRoleNamesExactlyTheKindsAndVerbsUsed()
    {
        IReadOnlyList<YDocument> documents = RbacManifestBuilder.Build(new RbacOptions { Namespace = "edge", EntryPoints = true }, out var errors);
        Assert.Empty(errors);
        string yaml = YamlText.Write(documents);

        Assert.DoesNotContain("'*'", yaml);
        Assert.DoesNotContain("\"*\"", yaml);
        YMap role = documents[0].Root;
        Assert.Equal("Role", role.Text("kind"));
        var rules = role.Sequence("rules")!.OfType<YMap>().ToList();
        Assert.Equal(new[] { "services", "endpointslices", "ingressroutes,ingressroutetcps,serverstransporttcps" },
            rules.Select(r => string.Join(",", r.Sequence("resources")!.OfType<YScalar>().Select(s => s.Value))));
        Assert.All(rules, r => Assert.Equal("get,list,create,patch,delete", string.Join(",", r.Sequence("verbs")!.OfType<YScalar>().Select(s => s.Value))));
        Assert.Equal(new[] { "Role", "RoleBinding", "Role", "RoleBinding" }, documents.Select(d => d.Root.Text("kind")));
        Assert.Equal("kube-system", documents[2].Root.Text("metadata", "namespace"));

        IReadOnlyList<YDocument> clusterWide = RbacManifestBuilder.Build(new RbacOptions { AllNamespaces = true, Flavors = new[] { ExposeFlavor.TraefikV3, ExposeFlavor.GatewayApi }, LegacyEndpoints = true, ReadAllRoutes = true }, out _);
        Assert.Equal(new[] { "ClusterRole", "ClusterRoleBinding", "ClusterRole", "ClusterRoleBinding" }, clusterWide.Select(d => d.Root.Text("kind")));
        Assert.Equal("clusterexpose-publisher-route-reader", clusterWide[3].Root.Text("roleRef", "name"));
        Assert.Null(clusterWide[0].Root.Text("metadata", "namespace"));
        Assert.All(documents.Concat(clusterWide), d => Assert.Empty(KindSchemas.Check(d.Root)));

        RbacManifestBuilder.Build(new RbacOptions { ServiceAccount = "Not_Valid" }, out var invalid);
        Assert.Equal(ErrorIds.InvalidRbacOption, Assert.Single(invalid).ErrorId);
    }

    private static IReadOnlyList<IExposeResource> Scenario(string address = "10.21.22.65") => new IExposeResource[]
    {
        ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { address }).Value!,
        ExposeFactory.CreateForward("pg", 5432, new[] { "10.21.22.70" }).Value!,
    };

    private static TcpForward Forward(string name, int port, string? namespaceName = null, string? entryPoint = null) =>
        ExposeFactory.CreateForward(name, port, new[] { "10.21.22.70" }, @namespace: namespaceName, entryPoint: entryPoint).Value!;

    /// <summary>The entry points a HelmChartConfig declares, in order, with their public ports.</summary>
    private static Dictionary<string, int> Ports(JsonObject config)
    {
        var values = (YMap)YamlText.Read((string)config["spec"]!["valuesContent"]!, out string? error)[0];
        Assert.Null(error);
        return values.Map("ports")!.ToDictionary(p => p.Key, p => int.Parse(((YMap)p.Value).Text("exposedPort") ?? ((YMap)p.Value).Text("port")!));
    }

    private static string? Annotation(JsonObject item, string name) => (string?)item["metadata"]!["annotations"]![name];

    private static ClusterSession Open(string kubeConfigPath) =>
        ClusterConnection.Open(new ClusterConnectionOptions { KubeConfigPath = kubeConfigPath });

    private static IReadOnlyList<PublishItem> Items(ClusterSession session, IReadOnlyList<IExposeResource> resources)
    {
        IReadOnlyList<YDocument> documents = ManifestBuilder.Build(resources, new ManifestOptions(), out var renderErrors);
        Assert.Empty(renderErrors);
        var errors = new List<ExposeProblem>();
        IReadOnlyList<PublishItem> items = ClusterPublisher.Prepare(documents.Select(d => d.Root), session.Namespace, "test", errors);
        Assert.Empty(errors);
        return items;
    }

    /// <summary>What publishing would do, as -WhatIf shows it: every object dry-run by the server, nothing written.</summary>
    private static IReadOnlyList<PublishItem> DryRunAll(ClusterSession session, IReadOnlyList<IExposeResource> resources)
    {
        var planned = new List<PublishItem>();
        Assert.Empty(ClusterChanges.Publish(session, Items(session, resources), force: false, new RecordingChangeHost(whatIf: true), p => planned.Add(p.Item)));
        return planned;
    }

    private static void PublishAll(ClusterSession session, IReadOnlyList<IExposeResource> resources, bool force = false)
    {
        IReadOnlyList<ExposeProblem> refused = ClusterChanges.Publish(session, Items(session, resources), force, new RecordingChangeHost(), _ => { });
        if (refused.Count > 0)
        {
            throw refused[0].ToException();
        }
    }

    /// <summary>The Service of a TCP forward ClusterExpose published, so the owner an entry point names exists.</summary>
    private void SeedForwardService(string name, string namespaceName = "default") =>
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = namespaceName,
                ["labels"] = new JsonObject { [ManifestConventions.ManagedByLabel] = ManifestConventions.ManagedByValue },
                ["annotations"] = new JsonObject { [ManifestConventions.OwnerAnnotation] = "TcpForward/" + name },
            },
            ["spec"] = JsonNode.Parse("""{"ports":[{"name":"tcp","port":22}]}"""),
        }, manager: "clusterexpose");

    private void SeedForeignService(string name, string namespaceName = "default")
    {
        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = namespaceName, ["labels"] = new JsonObject { ["app"] = name } },
            ["spec"] = JsonNode.Parse("""{"ports":[{"name":"http","port":80}]}"""),
        };
        server.Seed(service);
    }
}
