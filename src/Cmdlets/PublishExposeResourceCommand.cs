using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Commands;

/// <summary>
/// Creates or updates exposures in a cluster with server-side apply. Everything is validated by the
/// server with a dry run first; when any object is refused, nothing is written.
/// </summary>
[Cmdlet(VerbsData.Publish, "ExposeResource", SupportsShouldProcess = true, DefaultParameterSetName = ObjectParameterSet)]
[OutputType(typeof(PublishResult))]
public sealed class PublishExposeResourceCommand : ClusterCmdlet
{
    private const string ObjectParameterSet = "Object";
    private const string PathParameterSet = "Path";

    private readonly List<IExposeResource> resources = new();
    private readonly List<string> files = new();
    private bool inputRejected;

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectParameterSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; } = Array.Empty<object>();

    /// <summary>Manifest files to apply as they are (every object must be of a kind ClusterExpose writes).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathParameterSet)]
    [Alias("FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Render for this flavor; when not given, the flavor of each object if the cluster serves it, else the one it serves.</summary>
    [Parameter(ParameterSetName = ObjectParameterSet)]
    public ExposeFlavor? Flavor { get; set; }

    [Parameter(ParameterSetName = ObjectParameterSet)]
    public SwitchParameter NativeWildcard { get; set; }

    [Parameter(ParameterSetName = ObjectParameterSet)]
    public SwitchParameter LegacyEndpoints { get; set; }

    [Parameter(ParameterSetName = ObjectParameterSet)]
    public string GatewayName { get; set; } = "traefik-gateway";

    [Parameter(ParameterSetName = ObjectParameterSet)]
    public string? GatewayNamespace { get; set; }

    /// <summary>Take over fields another field manager owns (server-side apply with force).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PathParameterSet)
        {
            int before = files.Count;
            files.AddRange(ResolveManifestFiles(Path, literal: false));
            inputRejected |= files.Count == before;
            return;
        }

        if (InputObject is null)
        {
            inputRejected |= !CollectInput(null, resources);
            return;
        }

        foreach (object? input in InputObject)
        {
            // Get-ChildItem output binds here by value before -Path could take it by property name.
            if ((input is PSObject wrapped ? wrapped.BaseObject : input) is System.IO.FileInfo file)
            {
                int before = files.Count;
                files.AddRange(ResolveManifestFiles(new[] { file.FullName }, literal: true));
                inputRejected |= files.Count == before;
                continue;
            }

            inputRejected |= !TryCollect(input, resources);
        }
    }

    protected override void EndProcessing()
    {
        if (inputRejected)
        {
            return;
        }

        if (resources.Count + files.Count == 0)
        {
            ReportNoInput("publish");
            return;
        }

        using ClusterSession session = OpenSession();
        var errors = new List<ExposeProblem>();
        var items = new List<PublishItem>();
        if (resources.Count > 0)
        {
            items.AddRange(FromModel(session, errors));
        }

        if (files.Count > 0)
        {
            items.AddRange(FromFiles(session, errors));
        }

        if (errors.Count > 0)
        {
            ShowWarnings(session);
            WriteErrors(errors);
            return;
        }

        try
        {
            IReadOnlyList<ExposeProblem> refused = ClusterChanges.Publish(session, items, Force.IsPresent, new CmdletChangeHost(this), published => Emit(session, published));
            ShowWarnings(session);
            WriteErrors(refused);
        }
        catch (ClusterExposeException exception)
        {
            ShowWarnings(session);
            ThrowTerminatingError(ToErrorRecord(exception));
        }
    }

    private IReadOnlyList<PublishItem> FromModel(ClusterSession session, List<ExposeProblem> errors)
    {
        ClusterRouteApis apis = Required(session, () => ClusterDiscovery.Discover(session));
        var targeted = new List<IExposeResource>();
        foreach (IExposeResource resource in resources)
        {
            // -Flavor is a demand; an object's own flavor gives way to what the cluster serves.
            ExposeFlavor chosen = Flavor is null && apis.Suits(resource.Flavor)
                ? resource.Flavor
                : Required(session, () => ClusterDiscovery.ChooseFlavor(apis, Flavor, session.Server));
            if (chosen != resource.Flavor && Flavor is null)
            {
                WriteVerbose($"{resource.Name}: the cluster has {apis.Describe()}, so it is rendered for {chosen} rather than {resource.Flavor}.");
            }

            targeted.Add(ModelRetarget.WithFlavor(resource, chosen));
        }

        ManifestOptions options = apis.OptionsFor(targeted[0].Flavor, new ManifestOptions
        {
            NativeWildcards = NativeWildcard.IsPresent,
            LegacyEndpoints = LegacyEndpoints.IsPresent,
            GatewayName = GatewayName,
            GatewayNamespace = GatewayNamespace,
        });
        IReadOnlyList<YDocument> documents = ManifestBuilder.Build(targeted, options, out IReadOnlyList<ExposeProblem> renderErrors);
        errors.AddRange(renderErrors);
        return errors.Count > 0 ? Array.Empty<PublishItem>() : ClusterPublisher.Prepare(documents.Select(d => d.Root), session.Namespace, "rendered", errors);
    }

    private IReadOnlyList<PublishItem> FromFiles(ClusterSession session, List<ExposeProblem> errors)
    {
        var items = new List<PublishItem>();
        foreach (string file in files)
        {
            string? text = ReadManifestFile(file);
            if (text is null)
            {
                errors.Add(new ExposeProblem(ErrorIds.ReadFailed, ExposeErrorKind.InvalidData, $"{file} could not be read.", file));
                continue;
            }

            IReadOnlyList<YNode> documents = YamlText.Read(text, out string? syntaxError);
            if (syntaxError is not null)
            {
                errors.Add(new ExposeProblem(ErrorIds.ManifestSyntaxError, ExposeErrorKind.InvalidData, $"{file} is not valid YAML: {syntaxError}", file));
                continue;
            }

            items.AddRange(ClusterPublisher.Prepare(documents.OfType<YMap>(), session.Namespace, file, errors));
        }

        return items;
    }

    private void Emit(ClusterSession session, PublishedItem published)
    {
        if (!PassThru.IsPresent)
        {
            return;
        }

        PublishItem item = published.Item;
        JsonObject? applied = published.Applied;
        WriteObject(new PublishResult(item.Type.Kind.Kind, item.Type.ApiVersion, item.Namespace, item.Name, item.Action, item.ChangedFields, item.Owner,
            (string?)applied?["metadata"]?["uid"], (string?)applied?["metadata"]?["resourceVersion"], session.Server));
    }
}
