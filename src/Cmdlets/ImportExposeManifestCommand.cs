using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using ClusterExpose.Engine.Manifests;

namespace ClusterExpose.Commands;

/// <summary>Reads Kubernetes manifests (ClusterExpose's own or hand-written) back into ExposedHost and TcpForward objects.</summary>
[Cmdlet(VerbsData.Import, "ExposeManifest", DefaultParameterSetName = PathParameterSet)]
[OutputType(typeof(ExposedHost), typeof(TcpForward))]
public sealed class ImportExposeManifestCommand : ClusterExposeCmdlet
{
    private const string PathParameterSet = "Path";
    private const string LiteralPathParameterSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathParameterSet)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathParameterSet)]
    [Alias("PSPath", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (string file in ResolveManifestFiles(ParameterSetName == LiteralPathParameterSet ? LiteralPath : Path, ParameterSetName == LiteralPathParameterSet))
        {
            string? text = ReadManifestFile(file);
            if (text is null)
            {
                continue;
            }

            ImportResult result = ManifestImporter.Import(text, file);
            foreach (string warning in result.Warnings)
            {
                WriteWarning(warning);
            }

            WriteErrors(result.Errors);
            foreach (IExposeResource resource in result.Resources)
            {
                WriteObject(resource);
            }
        }
    }
}
