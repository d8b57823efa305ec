@{
    RootModule           = 'ClusterExpose.dll'
    # The one version number of the module; build.ps1 stamps it into every assembly.
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0c7a53-62b4-4d9e-9f3e-2a6e0f7b9c41'
    Author               = 'ClusterExpose contributors'
    CompanyName          = 'ClusterExpose'
    Copyright            = '(c) ClusterExpose contributors. MIT License.'
    Description          = 'Publishes services of a private Kubernetes cluster through a small public cloud cluster: HTTP by Host header, HTTPS by SNI with TLS passthrough, and plain TCP by port. Renders Traefik v3, Traefik v2 and Gateway API manifests from one spec, and reads them back.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The model types are shared by PowerShell and the isolated engine, so they load first, into the default context.
    RequiredAssemblies   = @('ClusterExpose.Model.dll')
    FormatsToProcess     = @('ClusterExpose.Format.ps1xml')
    CmdletsToExport      = @(
        'New-ExposedHost'
        'Add-TcpForward'
        'ConvertTo-ExposeManifest'
        'Export-ExposeManifest'
        'Import-ExposeManifest'
        'Test-SniRoute'
        'Test-Exposure'
        'Convert-TraefikRule'
        'Start-SniProxy'
        'Get-SniProxy'
        'Stop-SniProxy'
        'Update-SniProxy'
        'ConvertTo-SniProxyManifest'
        'Publish-ExposeResource'
        'Get-ExposedHost'
        'Get-TcpForward'
        'Remove-ExposedHost'
        'Remove-TcpForward'
        'New-ExposeRoleManifest'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'k3s', 'Traefik', 'GatewayAPI', 'SNI', 'TLS', 'Passthrough', 'Ingress', 'HomeLab', 'Tailscale', 'WireGuard', 'Linux', 'PSEdition_Core')
            ProjectUri   = 'https://github.com/clusterexpose/ClusterExpose'
            LicenseUri   = 'https://github.com/clusterexpose/ClusterExpose/blob/main/LICENSE'
            # Filled in by build.ps1 from the section of CHANGELOG.md for ModuleVersion.
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
