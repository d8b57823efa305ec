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
}
