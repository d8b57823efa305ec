using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace ClusterExpose.Commands;

/// <summary>
/// Loads the engine and its dependencies (YamlDotNet, later KubernetesClient) into a load context
/// of their own, so that a different version of them already loaded by another module cannot
/// break ClusterExpose, and ours cannot break that module. The default context is asked only for
/// the engine assembly itself; everything the engine needs is found in dependencies/.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "ClusterExpose.Engine";

    private static readonly string DependencyDirectory = Path.Combine(
        Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!,
        "dependencies");

    private static readonly EngineLoadContext EngineContext = new(DependencyDirectory);

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName assemblyName) =>
        string.Equals(assemblyName.Name, EngineAssemblyName, StringComparison.Ordinal)
            ? EngineContext.LoadFromAssemblyName(assemblyName)
            : null;
}

/// <summary>The engine's private load context: it resolves from dependencies/ and nowhere else.</summary>
internal sealed class EngineLoadContext : AssemblyLoadContext
{
    // The model is shared with PowerShell: loading a second copy here would give objects two types.
    private const string SharedModelAssemblyName = "ClusterExpose.Model";

    private readonly string dependencyDirectory;

    public EngineLoadContext(string dependencyDirectory)
        : base(nameof(EngineLoadContext), isCollectible: false) => this.dependencyDirectory = dependencyDirectory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || assemblyName.Name == SharedModelAssemblyName)
        {
            return null;
        }

        string path = Path.Combine(dependencyDirectory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
