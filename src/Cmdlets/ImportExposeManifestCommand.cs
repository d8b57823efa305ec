using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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
    [AllowNull]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string?[]? Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathParameterSet)]
    [Alias("PSPath", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The largest file read, in bytes; larger ones are refused before reading.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public long MaxFileBytes { get; set; } = DefaultMaxManifestBytes;

    protected override void ProcessRecord()
    {
        MaxManifestBytes = MaxFileBytes;
        string?[] given = ParameterSetName == LiteralPathParameterSet ? LiteralPath : Path ?? new string?[] { null };
        if (given.Any(string.IsNullOrWhiteSpace))
        {
            WriteError(new ErrorRecord(new PSArgumentException("An empty path (or $null) came in instead of a manifest file's path."),
                ErrorIds.NullInputObject, ErrorCategory.InvalidArgument, null));
        }

        foreach (string file in ResolveManifestFiles(given.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!), ParameterSetName == LiteralPathParameterSet))
        {
            string? text = ReadManifestFile(file);
            if (text is null)
            {
                continue;
            }

            ProgressRecord progress = ReadProgress($"{file}: building the objects");
            bool large = text.Length >= ProgressFromBytes;
            if (large)
            {
                WriteProgress(progress);
            }

            ImportResult result = ManifestImporter.Import(text, file);
            if (large)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }

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
