namespace ClusterExpose.Engine.Validation;

/// <summary>
/// Stable error ids. Scripts and tests match FullyQualifiedErrorId against these, so an id never
/// changes meaning once released; a new failure gets a new id.
/// </summary>
public static class ErrorIds
{
    public const string UnsupportedResource = "UnsupportedResource";
    public const string InvalidName = "InvalidName";
    public const string InvalidNamespace = "InvalidNamespace";
    public const string MissingHostname = "MissingHostname";
    public const string InvalidHostname = "InvalidHostname";
    public const string MissingTargetAddress = "MissingTargetAddress";
    public const string InvalidTargetAddress = "InvalidTargetAddress";
    public const string InvalidPort = "InvalidPort";
    public const string InvalidEntryPoint = "InvalidEntryPoint";
    public const string ConflictingPorts = "ConflictingPorts";
    public const string UnsupportedByFlavor = "UnsupportedByFlavor";
    public const string UnsupportedByMode = "UnsupportedByMode";
    public const string DuplicateName = "DuplicateName";
    public const string DuplicateHostname = "DuplicateHostname";
    public const string DuplicatePublicPort = "DuplicatePublicPort";
    public const string AddressRejectedByKubernetes = "AddressRejectedByKubernetes";
    public const string InvalidGatewayName = "InvalidGatewayName";
    public const string ManifestSyntaxError = "ManifestSyntaxError";
    public const string ManifestInvalidObject = "ManifestInvalidObject";
    public const string ManifestEmpty = "ManifestEmpty";
    public const string InvalidRule = "InvalidRule";
    public const string NoProxyRoutes = "NoProxyRoutes";
    public const string InvalidProxyOption = "InvalidProxyOption";
    public const string ListenFailed = "ListenFailed";
    public const string ProxyNotFound = "ProxyNotFound";
    public const string KubeConfigNotFound = "KubeConfigNotFound";
    public const string KubeConfigInvalid = "KubeConfigInvalid";
    public const string KubeContextNotFound = "KubeContextNotFound";
    public const string ClusterUnreachable = "ClusterUnreachable";
    public const string ClusterTimeout = "ClusterTimeout";
    public const string ClusterUnauthorized = "ClusterUnauthorized";
    public const string ClusterForbidden = "ClusterForbidden";
    public const string ClusterObjectNotFound = "ClusterObjectNotFound";
    public const string ClusterFieldConflict = "ClusterFieldConflict";
    public const string ClusterAlreadyExists = "ClusterAlreadyExists";
    public const string ClusterPreconditionFailed = "ClusterPreconditionFailed";
    public const string ClusterInvalidObject = "ClusterInvalidObject";
    public const string ClusterRequestFailed = "ClusterRequestFailed";
    public const string ClusterKindNotServed = "ClusterKindNotServed";
    public const string ClusterNamespaceNotFound = "ClusterNamespaceNotFound";
    public const string ManifestTooComplex = "ManifestTooComplex";
    public const string NoRouteApiInstalled = "NoRouteApiInstalled";
    public const string UnsupportedKind = "UnsupportedKind";
    public const string NotManagedByClusterExpose = "NotManagedByClusterExpose";
    public const string ExposureNotFound = "ExposureNotFound";
    public const string InvalidRbacOption = "InvalidRbacOption";
    public const string SharedValuesUnreadable = "SharedValuesUnreadable";
    public const string EntryPointTaken = "EntryPointTaken";
    public const string ReservedEntryPoint = "ReservedEntryPoint";
    public const string ReservedPublicPort = "ReservedPublicPort";
    public const string DuplicateContainerPort = "DuplicateContainerPort";
}
