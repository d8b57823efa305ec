<#
.SYNOPSIS
    The ClusterExpose scenario on its embedded default: no cluster and no network needed.
.DESCRIPTION
    The private cluster's ingress answers on 10.21.22.65, reachable from the cloud cluster's nodes
    through a private network. kl.example.top and every name one label below it go there over HTTP
    (Host header) and HTTPS (SNI, TLS passthrough); PostgreSQL on 10.21.22.70 is forwarded by port.
    The manifests are written for every flavor to the output directory and read back to prove they
    describe the same exposures.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$null = New-Item -ItemType Directory -Force $OutputDirectory

Write-Host "`nThe scenario: publish kl.example.top (and *.kl.example.top) and PostgreSQL from the home cluster." -ForegroundColor Cyan
$flavors = 'TraefikV3', 'TraefikV2', 'GatewayApi'
$summary = foreach ($flavor in $flavors) {
    $set = New-ExposedHost -Name k65 -Hostname kl.example.top -IncludeSubdomains -TargetAddress 10.21.22.65 -Flavor $flavor |
        Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70 -Flavor $flavor
    if ($flavor -eq 'TraefikV3') {
        $set | Where-Object { $_ -is [ClusterExpose.ExposedHost] } | Format-Table | Out-String | Write-Host
        $set | Where-Object { $_ -is [ClusterExpose.TcpForward] } | Format-Table | Out-String | Write-Host
    }

    $path = Join-Path $OutputDirectory "$($flavor.ToLowerInvariant()).yaml"
    $set | Export-ExposeManifest -Path $path -Force
    $kinds = (Get-Content -Raw $path) -split "(?m)^---\s*$" |
        ForEach-Object { if ($_ -match '(?m)^kind:\s*(\S+)') { $Matches[1] } }
    $readBack = @(Import-ExposeManifest -Path $path)
    $same = $readBack.Count -eq $set.Count -and -not ($set | Where-Object { $item = $_; -not ($readBack | Where-Object { $_.Equals($item) }) })
    [pscustomobject]@{
        Flavor    = $flavor
        RoundTrip = if ($same) { 'equal' } else { 'DIFFERENT' }
        File      = [IO.Path]::GetRelativePath((Get-Location).Path, $path)
        Objects   = ($kinds | Group-Object | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
    }
}

$summary | Format-Table -Wrap | Out-String | Write-Host
Write-Host 'The Traefik v3 routes:' -ForegroundColor Cyan
Get-Content (Join-Path $OutputDirectory 'traefikv3.yaml') | Select-String -Pattern '^\s+- match:|^\s+match:' | ForEach-Object { Write-Host $_.Line.Trim() }
if ($summary.RoundTrip -contains 'DIFFERENT') {
    throw 'A flavor did not read back to the model it was written from.'
}

Write-Host "`nWhere the names go, as Traefik v3 decides it (Test-SniRoute over the written manifest):" -ForegroundColor Cyan
$v3 = Join-Path $OutputDirectory 'traefikv3.yaml'
Test-SniRoute -Path $v3 -Hostname kl.example.top, a.kl.example.top, k.example.top, akl.example.top, a.b.kl.example.top |
    Format-Table | Out-String | Write-Host
# With nothing to report, -Lint says so itself in one line.
$findings = @(Test-SniRoute -Lint -Path $v3)
if ($findings.Count) { Write-Host "Lint:$($findings | Format-Table | Out-String)" }
Write-Host "`nApply with: kubectl apply --server-side -f $([IO.Path]::GetRelativePath((Get-Location).Path, (Join-Path $OutputDirectory 'traefikv3.yaml')))" -ForegroundColor Cyan
