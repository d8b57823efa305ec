namespace ClusterExpose;

/// <summary>
/// Every stable error id of the module, in one place: the engine's errors, the cmdlets' own checks
/// of their input and the live probes. Scripts and tests match FullyQualifiedErrorId (the id, a comma,
/// the cmdlet's class) against these, so an id never changes meaning once released; a new failure
/// gets a new id.
/// </summary>
public static class ErrorIds
{
    // The model and its validation
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
    public const string ReservedEntryPoint = "ReservedEntryPoint";
    public const string ReservedPublicPort = "ReservedPublicPort";
    public const string DuplicateContainerPort = "DuplicateContainerPort";

    // Input the cmdlets take (pipeline, files, parameters)
    public const string UnsupportedInputObject = "UnsupportedInputObject";
    public const string NullInputObject = "NullInputObject";
    public const string NoInputObject = "NoInputObject";
    public const string FileNotFound = "FileNotFound";
    public const string ReadFailed = "ReadFailed";
    public const string ManifestTooLarge = "ManifestTooLarge";
    public const string FileExists = "FileExists";
    public const string WriteFailed = "WriteFailed";
    public const string PathIsFolder = "PathIsFolder";
    public const string InvalidListenAddress = "InvalidListenAddress";
    public const string WatchNeedsOneFile = "WatchNeedsOneFile";
    public const string InvalidClientIP = "InvalidClientIP";
    public const string InvalidTrustedAddress = "InvalidTrustedAddress";
    public const string TrustedAddressMissing = "TrustedAddressMissing";

    // Manifests
    public const string ManifestSyntaxError = "ManifestSyntaxError";
    public const string ManifestInvalidObject = "ManifestInvalidObject";
    public const string ManifestEmpty = "ManifestEmpty";
    public const string ManifestTooComplex = "ManifestTooComplex";
    public const string UnsupportedKind = "UnsupportedKind";

    // Rules and routes
    public const string InvalidRule = "InvalidRule";
    public const string RuleNotConvertible = "RuleNotConvertible";
    public const string NoRoutes = "NoRoutes";
    public const string UnknownEntryPoint = "UnknownEntryPoint";

    // The proxy
    public const string NoProxyRoutes = "NoProxyRoutes";
    public const string InvalidProxyOption = "InvalidProxyOption";
    public const string ListenFailed = "ListenFailed";
    public const string ProxyNotFound = "ProxyNotFound";

    // Live probes (Test-SniRoute -Server)
    public const string ProbeNameResolutionFailed = "ProbeNameResolutionFailed";
    public const string ProbeConnectionRefused = "ProbeConnectionRefused";
    public const string ProbeConnectionReset = "ProbeConnectionReset";
    public const string ProbeConnectionClosed = "ProbeConnectionClosed";
    public const string ProbeTimedOut = "ProbeTimedOut";
    public const string ProbeTlsAlert = "ProbeTlsAlert";
    public const string ProbeNotTls = "ProbeNotTls";
    public const string ProbeTlsFailed = "ProbeTlsFailed";
    public const string ProbeNotHttp = "ProbeNotHttp";
    public const string ProbeNetworkError = "ProbeNetworkError";
    public const string PublicAddressUnresolved = "PublicAddressUnresolved";
    public const string InvalidDnsServer = "InvalidDnsServer";

    // The cluster
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
    public const string NoRouteApiInstalled = "NoRouteApiInstalled";
    public const string NotManagedByClusterExpose = "NotManagedByClusterExpose";
    public const string ExposureNotFound = "ExposureNotFound";
    public const string InvalidRbacOption = "InvalidRbacOption";
    public const string SharedValuesUnreadable = "SharedValuesUnreadable";
    public const string EntryPointTaken = "EntryPointTaken";
}
