using System;
using System.Collections.Generic;

namespace ClusterExpose;

/// <summary>One object <c>Publish-ExposeResource</c> applied (or, with -WhatIf, would apply), and what changed.</summary>
public sealed class PublishResult
{
    public PublishResult(string kind, string apiVersion, string @namespace, string name, PublishAction action, IReadOnlyList<string> changedFields, string? owner, string? uid, string? resourceVersion, string server)
    {
        Kind = kind;
        ApiVersion = apiVersion;
        Namespace = @namespace;
        Name = name;
        Action = action;
        ChangedFields = changedFields ?? Array.Empty<string>();
        Owner = owner;
        Uid = uid;
        ResourceVersion = resourceVersion;
        Server = server;
    }

    public string Kind { get; }

    public string ApiVersion { get; }

    public string Namespace { get; }

    public string Name { get; }

    public PublishAction Action { get; }

    /// <summary>Paths of the fields an update changed, such as <c>spec.routes</c>; empty for a create or an unchanged object.</summary>
    public IReadOnlyList<string> ChangedFields { get; }

    /// <summary>The exposure the object belongs to (<c>ExposedHost/k65</c>), when it carries ClusterExpose's annotation.</summary>
    public string? Owner { get; }

    public string? Uid { get; }

    public string? ResourceVersion { get; }

    /// <summary>The API server it was applied to.</summary>
    public string Server { get; }

    public override string ToString() => $"{Action} {Kind} {Namespace}/{Name}";
}
