using System;
using System.IO;
using System.Management.Automation;
using System.Text;

namespace ClusterExpose.Commands;

/// <summary>Writes exposures as a multi-document YAML file, for GitOps or kubectl apply.</summary>
[Cmdlet(VerbsData.Export, "ExposeManifest", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportExposeManifestCommand : ManifestRenderingCmdlet
{

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (Directory.Exists(path))
        {
            WriteError(new ErrorRecord(
                new IOException($"'{path}' is a folder; give the path of the file to write, such as '{System.IO.Path.Combine(path, "exposures.yaml")}'."),
                ErrorIds.PathIsFolder,
                ErrorCategory.InvalidArgument,
                path));
            return;
        }

        if (File.Exists(path) && !Force.IsPresent)
        {
            WriteError(new ErrorRecord(
                new IOException($"The file '{path}' already exists. Use -Force to overwrite it."),
                ErrorIds.FileExists,
                ErrorCategory.ResourceExists,
                path));
            return;
        }

        string? yaml = Render();
        if (yaml is null || !ShouldProcess(path, $"Write {Resources.Count} exposure(s) as Kubernetes manifests"))
        {
            return;
        }

        // Write beside the target and move into place, so a failure never leaves half a manifest.
        // A missing parent folder is made, as an export to ./cloud/k65.yaml in a fresh clone expects.
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(temporary, yaml, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            // The user's path in the message, never the temporary file's.
            WriteError(new ErrorRecord(new IOException($"Could not write '{path}': {exception.Message.Replace(temporary, path, StringComparison.Ordinal)}", exception),
                ErrorIds.WriteFailed, ErrorCategory.WriteError, path));
            return;
        }

        if (PassThru.IsPresent)
        {
            WriteObject(new FileInfo(path));
        }
    }
}
