<#
.SYNOPSIS
    Checks every golden manifest against a real Kubernetes API server with server-side dry run.
.DESCRIPTION
    Not part of the automated suite, because no API server runs where CI does. Point kubectl at a
    disposable cluster (Kubernetes 1.36 with the Traefik v3.7 CRDs (traefik.io), the Traefik v2.11 CRDs
    (traefik.containo.us), the Gateway API v1.6.1 experimental CRDs and k3s's HelmChartConfig CRD
    installed), then run this script. Each file is sent with
    kubectl apply --server-side --dry-run=server --validate=strict; nothing is persisted.
    The namespaces the manifests use are created first (dry run cannot create them).
    With -ModulePath it also sends the RBAC that New-ExposeRoleManifest renders, and runs
    Publish-ExposeResource -WhatIf for the scenario in every flavor the cluster serves: the module's own
    requests (server-side apply with dryRun=All), through KubernetesClient, against the real server.
.EXAMPLE
    dotnet pwsh ./tests/cluster/Test-ApiServerAcceptance.ps1
#>
[CmdletBinding()]
param(
    [string] $GoldenPath = (Join-Path $PSScriptRoot '../Engine.Tests/Golden'),
    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Command kubectl -ErrorAction Ignore)) {
    throw 'kubectl is not on PATH.'
}

$failures = 0
$files = Get-ChildItem $GoldenPath -Recurse -Filter expected.yaml
foreach ($file in $files) {
    $namespaces = Select-String -LiteralPath $file.FullName -Pattern '^\s+namespace:\s*(\S+)' | ForEach-Object { $_.Matches[0].Groups[1].Value } | Sort-Object -Unique
    foreach ($ns in $namespaces) {
        kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - | Out-Null
    }
    $output = kubectl apply --server-side --dry-run=server --validate=strict --field-manager=clusterexpose -f $file.FullName 2>&1
    if ($LASTEXITCODE -eq 0) {
        Write-Host "accepted  $($file.Directory.Name)"
    }
    else {
        $failures++
        Write-Host "REJECTED  $($file.Directory.Name)" -ForegroundColor Red
        $output | ForEach-Object { Write-Host "    $_" }
    }
}
$checked = $files.Count
if ($ModulePath) {
    Import-Module $ModulePath
    $rbac = New-ExposeRoleManifest -AllNamespaces -EntryPoints -Flavor TraefikV3, TraefikV2, GatewayApi -LegacyEndpoints
    $output = $rbac | kubectl apply --server-side --dry-run=server --validate=strict --field-manager=clusterexpose -f - 2>&1
    $checked++
    if ($LASTEXITCODE -eq 0) { Write-Host 'accepted  New-ExposeRoleManifest' } else { $failures++; Write-Host 'REJECTED  New-ExposeRoleManifest' -ForegroundColor Red; $output | ForEach-Object { Write-Host "    $_" } }
    foreach ($flavor in 'TraefikV3', 'TraefikV2', 'GatewayApi') {
        $checked++
        try {
            New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 |
                Publish-ExposeResource -Flavor $flavor -WhatIf -ErrorAction Stop
            Write-Host "accepted  Publish-ExposeResource -Flavor $flavor -WhatIf"
        }
        catch {
            $failures++
            Write-Host "REJECTED  Publish-ExposeResource -Flavor $flavor -WhatIf: $_" -ForegroundColor Red
        }
    }
}

Write-Host "$($checked - $failures) accepted, $failures rejected"
if ($failures -gt 0) { exit 1 }
