using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using ClusterExpose.Engine.Validation;
using k8s;
using k8s.KubeConfigModels;

namespace ClusterExpose.Engine.Cluster;

/// <summary>What the cluster cmdlets were told about where to connect; all optional.</summary>
public sealed class ClusterConnectionOptions
{
    /// <summary>A kubeconfig file; when empty, KUBECONFIG, then ~/.kube/config, then the pod's service account.</summary>
    public string? KubeConfigPath { get; set; }

    public string? Context { get; set; }

    /// <summary>The namespace to work in; when empty, the context's namespace, else <c>default</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>For each request; the completers use a short one so a Tab never hangs on an unreachable cluster.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Ends any request in flight: Ctrl+C in the session.</summary>
    public CancellationToken Cancellation { get; set; }
}

/// <summary>
/// Finds the kubeconfig the way kubectl does and opens a <see cref="ClusterSession"/>. Problems with
/// the configuration itself (no file, a context that is not there, a file that does not parse) are
/// reported before any request, with the file and the contexts it has.
/// </summary>
public static class ClusterConnection
{
    public const string KubeConfigVariable = "KUBECONFIG";

    public static ClusterSession Open(ClusterConnectionOptions options)
    {
        KubernetesClientConfiguration configuration;
        string contextName;
        string? contextNamespace;
        IReadOnlyList<FileInfo> files = KubeConfigFiles(options.KubeConfigPath);
        if (files.Count > 0)
        {
            K8SConfiguration kubeConfig = Load(files);
            string source = string.Join(Path.PathSeparator, files.Select(f => f.FullName));
            contextName = string.IsNullOrEmpty(options.Context) ? kubeConfig.CurrentContext ?? string.Empty : options.Context;
            Context? context = kubeConfig.Contexts?.FirstOrDefault(c => c.Name == contextName);
            if (context is null)
            {
                string known = string.Join(", ", (kubeConfig.Contexts ?? Enumerable.Empty<Context>()).Select(c => c.Name));
                throw new ClusterExposeException(ErrorIds.KubeContextNotFound, ExposeErrorKind.ObjectNotFound,
                    contextName.Length == 0
                        ? $"{source} names no current context; pass -Context (it has: {(known.Length == 0 ? "none" : known)})."
                        : $"{source} has no context '{contextName}' (it has: {(known.Length == 0 ? "none" : known)}).",
                    contextName, "Pass -Context with one of the contexts the file has.");
            }

            contextNamespace = context.ContextDetails?.Namespace;
            try
            {
                configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeConfig, contextName);
            }
            catch (Exception exception) when (exception is not ClusterExposeException)
            {
                throw new ClusterExposeException(ErrorIds.KubeConfigInvalid, ExposeErrorKind.InvalidData,
                    $"Context '{contextName}' in {source} cannot be used: {exception.Message}", source, innerException: exception);
            }
        }
        else if (string.IsNullOrEmpty(options.KubeConfigPath) && KubernetesClientConfiguration.IsInCluster())
        {
            configuration = KubernetesClientConfiguration.InClusterConfig();
            contextName = "in-cluster";
            contextNamespace = configuration.Namespace;
        }
        else
        {
            throw new ClusterExposeException(ErrorIds.KubeConfigNotFound, ExposeErrorKind.ObjectNotFound,
                string.IsNullOrEmpty(options.KubeConfigPath)
                    ? $"No kubeconfig found: {KubeConfigVariable} is not set, {DefaultKubeConfigPath()} does not exist, and this is not a pod with a service account."
                    : $"The kubeconfig '{options.KubeConfigPath}' does not exist.",
                options.KubeConfigPath, "Pass -KubeConfig, set KUBECONFIG, or write ~/.kube/config (k3s keeps it in /etc/rancher/k3s/k3s.yaml).");
        }

        string namespaceName = !string.IsNullOrEmpty(options.Namespace) ? options.Namespace
            : !string.IsNullOrEmpty(contextNamespace) ? contextNamespace
            : ExposedHost.DefaultNamespace;
        if (!KubernetesNames.IsDns1123Label(namespaceName))
        {
            throw new ClusterExposeException(ErrorIds.InvalidNamespace, ExposeErrorKind.InvalidArgument,
                $"'{namespaceName}' is not a valid namespace name.", namespaceName);
        }

        configuration.HttpClientTimeout = options.RequestTimeout;
        return new ClusterSession(configuration, contextName, namespaceName, options.RequestTimeout, options.Cancellation);
    }

    /// <summary>The context names of the kubeconfig, current first; no network. For completion.</summary>
    public static IReadOnlyList<string> ContextNames(string? kubeConfigPath)
    {
        IReadOnlyList<FileInfo> files = KubeConfigFiles(kubeConfigPath);
        if (files.Count == 0)
        {
            return Array.Empty<string>();
        }

        K8SConfiguration kubeConfig = Load(files);
        return (kubeConfig.Contexts ?? Enumerable.Empty<Context>())
            .Select(c => c.Name)
            .OrderBy(name => name == kubeConfig.CurrentContext ? 0 : 1)
            .ThenBy(name => name, StringComparer.Ordinal)
            .ToList();
    }

    private static K8SConfiguration Load(IReadOnlyList<FileInfo> files)
    {
        try
        {
            // Merged as kubectl merges KUBECONFIG: the first file to name a context, cluster or user wins.
            K8SConfiguration merged = KubernetesClientConfiguration.LoadKubeConfig(files[0], useRelativePaths: true);
            foreach (FileInfo file in files.Skip(1))
            {
                K8SConfiguration next = KubernetesClientConfiguration.LoadKubeConfig(file, useRelativePaths: true);
                merged.CurrentContext ??= next.CurrentContext;
                merged.Contexts = MergeByName(merged.Contexts, next.Contexts, c => c.Name);
                merged.Clusters = MergeByName(merged.Clusters, next.Clusters, c => c.Name);
                merged.Users = MergeByName(merged.Users, next.Users, u => u.Name);
            }

            return merged;
        }
        catch (Exception exception)
        {
            string source = string.Join(Path.PathSeparator, files.Select(f => f.FullName));
            throw new ClusterExposeException(ErrorIds.KubeConfigInvalid, ExposeErrorKind.InvalidData,
                $"{source} is not a kubeconfig that can be read: {exception.Message}", source, innerException: exception);
        }
    }

    private static List<T> MergeByName<T>(IEnumerable<T>? first, IEnumerable<T>? second, Func<T, string> name)
    {
        var merged = new List<T>(first ?? Enumerable.Empty<T>());
        merged.AddRange((second ?? Enumerable.Empty<T>()).Where(item => merged.All(existing => name(existing) != name(item))));
        return merged;
    }

    private static IReadOnlyList<FileInfo> KubeConfigFiles(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            var file = new FileInfo(explicitPath);
            return file.Exists ? new[] { file } : Array.Empty<FileInfo>();
        }

        // KUBECONFIG may list several files; kubectl merges those that exist, first one winning.
        string? variable = Environment.GetEnvironmentVariable(KubeConfigVariable);
        if (!string.IsNullOrEmpty(variable))
        {
            FileInfo[] listed = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(path => new FileInfo(path))
                .Where(file => file.Exists)
                .ToArray();
            if (listed.Length > 0)
            {
                return listed;
            }
        }

        var defaultFile = new FileInfo(DefaultKubeConfigPath());
        return defaultFile.Exists ? new[] { defaultFile } : Array.Empty<FileInfo>();
    }

    private static string DefaultKubeConfigPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
}
