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
    internal const string FileNotFoundErrorId = "FileNotFound";
    internal const string ReadFailedErrorId = "ReadFailed";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathParameterSet)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathParameterSet)]
    [Alias("PSPath", "FullName")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (string file in ResolveFiles())
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(exception, ReadFailedErrorId, ErrorCategory.ReadError, file));
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

    private IEnumerable<string> ResolveFiles()
    {
        bool literal = ParameterSetName == LiteralPathParameterSet;
        foreach (string path in literal ? LiteralPath : Path)
        {
            var resolved = new List<string>();
            try
            {
                if (literal)
                {
                    resolved.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
                }
                else
                {
                    resolved.AddRange(GetResolvedProviderPathFromPSPath(path, out _));
                }
            }
            catch (ItemNotFoundException)
            {
            }

            resolved.RemoveAll(p => !File.Exists(p));
            if (resolved.Count == 0)
            {
                WriteError(new ErrorRecord(
                    new FileNotFoundException($"No manifest file was found at '{path}'.", path),
                    FileNotFoundErrorId,
                    ErrorCategory.ObjectNotFound,
                    path));
            }

            foreach (string file in resolved)
            {
                yield return file;
            }
        }
    }
}
