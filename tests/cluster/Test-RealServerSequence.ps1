<#
.SYNOPSIS
    Runs the cluster cmdlets' whole sequence against a real Kubernetes API server, by hand, and checks
    what must hold there: publish, publish again (nothing written), -WhatIf, get, Test-SniRoute, remove
    a host and a TCP forward; -WhatIf and every dry run change no resourceVersion; removal leaves no
    managed object, and a HelmChartConfig ClusterExpose did not create keeps its values.
.DESCRIPTION
    CI has no cluster, so the same sequence runs there against the fake API server
    (tests/Pester/RealServerScenarios.Tests.ps1), which a replay of recorded real-server exchanges holds
    to the real server's answers. This script is for a real cluster with Traefik's CRDs (k3s, or
    kube-apiserver with the CRDs installed): point kubectl and -KubeConfig at it. It creates and then
    deletes the namespace it is given; with -UserHelmChartConfig it first applies a HelmChartConfig
    kube-system/traefik of its own with kubectl, as a user would, and checks it survives.
.EXAMPLE
    ./tests/cluster/Test-RealServerSequence.ps1 -ModulePath ./out/ClusterExpose/ClusterExpose.psd1 -Namespace ce-check
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Namespace = 'clusterexpose-check',
    [string] $KubeConfig = $env:KUBECONFIG,
    [switch] $UserHelmChartConfig
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
$common = @{ KubeConfig = $KubeConfig; Namespace = $Namespace }
$failures = [System.Collections.Generic.List[string]]::new()

function Get-Versions {
    $versions = @{}
    foreach ($kind in 'services', 'endpointslices', 'ingressroutes.traefik.io', 'ingressroutetcps.traefik.io') {
        foreach ($item in (kubectl get $kind -n $Namespace -o json | ConvertFrom-Json).items) { $versions["$kind/$($item.metadata.name)"] = $item.metadata.resourceVersion }
    }
    $config = kubectl get helmchartconfigs.helm.cattle.io traefik -n kube-system -o json --ignore-not-found | ConvertFrom-Json
    if ($config) { $versions['helmchartconfig/traefik'] = $config.metadata.resourceVersion }
    $versions
}

function Assert-Same($Before, $After, [string] $Step) {
    $changed = @($Before.Keys + $After.Keys | Sort-Object -Unique | Where-Object { $Before[$_] -ne $After[$_] })
    if ($changed) { $failures.Add("$Step changed $($changed -join ', ')") } else { Write-Host "ok        $Step changed nothing" }
}

function Step([string] $Name, [scriptblock] $Action) {
    try { & $Action; Write-Host "ok        $Name" }
    catch { $failures.Add("$Name failed: $_"); Write-Host "FAILED    $Name`: $_" -ForegroundColor Red }
}

kubectl create namespace $Namespace | Out-Null
if ($UserHelmChartConfig) {
    @"
apiVersion: helm.cattle.io/v1
kind: HelmChartConfig
metadata: {name: traefik, namespace: kube-system}
spec:
  valuesContent: |
    logs:
      general:
        level: DEBUG
"@ | kubectl apply --server-side --field-manager=user -f - | Out-Null
}

try {
    $home65 = New-ExposedHost -Name k65 -Hostname kl.example.top -IncludeSubdomains -TargetAddress 10.21.22.65 -Namespace $Namespace
    $set = @($home65 | Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70 -Namespace $Namespace)
    Step 'publish' { $set | Publish-ExposeResource @common -Force:$UserHelmChartConfig | Out-Null }
    $before = Get-Versions
    Step 'publish again' { $set | Publish-ExposeResource @common | Out-Null }
    Assert-Same $before (Get-Versions) 'publishing again'
    Step 'publish -WhatIf' { $set | Publish-ExposeResource @common -WhatIf | Out-Null }
    Assert-Same $before (Get-Versions) 'Publish-ExposeResource -WhatIf'
    Step 'Get-ExposedHost' { if ((Get-ExposedHost @common).Name -ne 'k65') { throw 'k65 not read back' } }
    Step 'Get-TcpForward' { if ((Get-TcpForward @common).Port -ne 5432) { throw 'postgres not read back' } }
    Step 'Test-SniRoute' { if ((Test-SniRoute -Hostname a.kl.example.top -EntryPoint websecure -KubeConfig $KubeConfig).Router -ne "$Namespace/k65-https") { throw 'wrong router' } }
    Step 'remove -WhatIf' { Remove-ExposedHost k65 @common -WhatIf; Remove-TcpForward postgres @common -WhatIf }
    Assert-Same $before (Get-Versions) 'Remove-* -WhatIf'
    Step 'Remove-ExposedHost' { Remove-ExposedHost k65 @common -Confirm:$false }
    Step 'Remove-TcpForward' { Remove-TcpForward postgres @common -Confirm:$false }
    $left = kubectl get services, endpointslices, ingressroutes.traefik.io, ingressroutetcps.traefik.io -n $Namespace -l app.kubernetes.io/managed-by=clusterexpose -o name
    if ($left) { $failures.Add("managed objects left: $left") }
    $config = kubectl get helmchartconfigs.helm.cattle.io traefik -n kube-system -o json --ignore-not-found | ConvertFrom-Json
    if ($UserHelmChartConfig -and -not ($config.spec.valuesContent -match 'level: DEBUG')) { $failures.Add("the user's HelmChartConfig lost its values") }
    if (-not $UserHelmChartConfig -and $config) { $failures.Add('the HelmChartConfig ClusterExpose created is still there') }
}
finally {
    kubectl delete namespace $Namespace --wait=false | Out-Null
}

if ($failures.Count) {
    $failures | ForEach-Object { Write-Host "FAILED    $_" -ForegroundColor Red }
    exit 1
}
Write-Host 'every step held'
