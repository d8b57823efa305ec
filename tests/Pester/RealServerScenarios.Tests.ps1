# The cmdlet sequence recorded against a real kube-apiserver 1.36.2 (publish, publish again, -WhatIf,
# get, Test-SniRoute, remove a host and a forward), in the three cluster shapes of the recording:
# an upgraded k3s serving both Traefik API groups, a v3-only cluster, and an account bound only by
# the Roles New-ExposeRoleManifest renders. It runs against FakeKubeApi, a FAKE API server run as its
# own process on 127.0.0.1 (no cluster can run here), which TranscriptReplayTests holds to the
# recorded answers of the real server; each case asserts what the real server must end up with:
# every step succeeds, -WhatIf and every dry run change nothing, and removal leaves nothing behind.
BeforeDiscovery {
    $shapes = @(
        @{ Shape = 'dual-group, admin'; Apis = 'TraefikV3,TraefikV2Legacy,GatewayV1,K3sHelm'; Namespace = 'rec-dual'; Account = $false }
        @{ Shape = 'v3-only, admin'; Apis = 'TraefikV3,GatewayV1,K3sHelm'; Namespace = 'rec-v3'; Account = $false }
        @{ Shape = 'v3-only, least-privilege account'; Apis = 'TraefikV3,GatewayV1,K3sHelm'; Namespace = 'rec-ci'; Account = $true }
    )
}

BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    . (Join-Path $PSScriptRoot 'FakeApi.ps1')
    . (Join-Path $PSScriptRoot 'Helpers.ps1')

    # What the fake holds, by kind/namespace/name, with each object's resourceVersion.
    function Get-Versions($Fake) {
        $versions = @{}
        foreach ($item in @(Invoke-Fake $Fake 'objects')) { $versions["$($item.kind)/$($item.metadata.namespace)/$($item.metadata.name)"] = $item.metadata.resourceVersion }
        $versions
    }

    function Assert-Unchanged($Before, $After) {
        ($After.Keys | Sort-Object) -join ',' | Should -Be (($Before.Keys | Sort-Object) -join ',')
        foreach ($key in $Before.Keys) { $After[$key] | Should -Be $Before[$key] -Because "$key must not change" }
    }

    # A kubeconfig for the fake whose token belongs to an account bound by the given RBAC manifest.
    function New-AccountKubeConfig($Fake, [string] $User, [string] $Rbac, [string] $Namespace) {
        $answer = Invoke-RestMethod -Method Post -Uri "$($Fake.Url)/_fake/account?user=$User" -Body $Rbac -ContentType 'application/yaml' -SkipCertificateCheck -NoProxy
        $path = Join-Path $TestDrive "kubeconfig-$([guid]::NewGuid().ToString('N'))"
        (Get-Content -Raw $Fake.KubeConfig) -replace '(?m)^(\s+token: ).*$', "`${1}$($answer.token)" | Set-Content -LiteralPath $path
        $path
    }
}

Describe 'The recorded sequence, <Shape>' -ForEach $shapes {
    BeforeAll {
        $fake = Start-FakeApi $Apis
        Invoke-Fake $fake 'namespace' @{} "?name=$Namespace" | Out-Null
        $kc = $fake.KubeConfig
        if ($Account) {
            $rbac = (New-ExposeRoleManifest ci -Namespace $Namespace -EntryPoints -ReadAllRoutes) -join "`n"
            $kc = New-AccountKubeConfig $fake "system:serviceaccount:${Namespace}:ci" $rbac $Namespace
        }

        $home65 = New-ExposedHost -Name k65 -Hostname kl.example.top -IncludeSubdomains -TargetAddress 10.21.22.65 -Namespace $Namespace
        $set = @($home65 | Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70 -Namespace $Namespace)
    }
    AfterAll { Stop-FakeApi $fake }

    It 'publishes, and publishing again writes nothing' {
        $first = $set | Publish-ExposeResource -KubeConfig $kc -Namespace $Namespace -PassThru
        $first.Action | Sort-Object -Unique | Should -Be 'Create'
        $first.Kind | Should -Contain 'HelmChartConfig'
        $before = Get-Versions $fake
        $second = $set | Publish-ExposeResource -KubeConfig $kc -Namespace $Namespace -PassThru
        $second.Action | Sort-Object -Unique | Should -Be 'Unchanged'
        Assert-Unchanged $before (Get-Versions $fake)
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-Versions $fake
        $planned = $set | Publish-ExposeResource -KubeConfig $kc -Namespace $Namespace -WhatIf -PassThru
        $planned.Count | Should -Be 8
        Assert-Unchanged $before (Get-Versions $fake)
    }

    It 'reads the exposure and the forward back' {
        (Get-ExposedHost -KubeConfig $kc -Namespace $Namespace).Name | Should -Be 'k65'
        $forward = Get-TcpForward -KubeConfig $kc -Namespace $Namespace
        $forward.Name | Should -Be 'postgres'
        $forward.Port | Should -Be 5432
    }

    It 'answers Test-SniRoute from the cluster''s routes' {
        (Test-SniRoute -Hostname a.kl.example.top -EntryPoint websecure -KubeConfig $kc).Router | Should -Be "$Namespace/k65-https#2"
    }

    It 'removes nothing with -WhatIf, and everything of the host without it' {
        $before = Get-Versions $fake
        Remove-ExposedHost -Name k65 -KubeConfig $kc -Namespace $Namespace -WhatIf
        Remove-TcpForward -Name postgres -KubeConfig $kc -Namespace $Namespace -WhatIf
        Assert-Unchanged $before (Get-Versions $fake)

        $removed = Remove-ExposedHost -Name k65 -KubeConfig $kc -Namespace $Namespace -PassThru -Confirm:$false
        $removed.Name | Should -Be 'k65'
        (Get-Versions $fake).Keys | Where-Object { $_ -match '/k65' } | Should -BeNullOrEmpty
        (Get-Versions $fake).Keys | Should -Contain "Service/$Namespace/postgres"
    }

    It 'removes the forward and its entry point, and leaves no managed object behind' {
        $removed = Remove-TcpForward -Name postgres -KubeConfig $kc -Namespace $Namespace -PassThru -Confirm:$false
        $removed.Name | Should -Be 'postgres'
        @(Invoke-Fake $fake 'objects') | Where-Object { $_.metadata.labels.'app.kubernetes.io/managed-by' -eq 'clusterexpose' } | Should -BeNullOrEmpty
        # ClusterExpose created the HelmChartConfig and nothing else is in it, so it goes with its last forward.
        (Get-Versions $fake).Keys | Should -Not -Contain 'HelmChartConfig/kube-system/traefik'
    }
}

Describe 'A HelmChartConfig the user applied with kubectl' {
    BeforeAll {
        $fake = Start-FakeApi
        Invoke-Fake $fake 'seed' @{
            apiVersion = 'helm.cattle.io/v1'; kind = 'HelmChartConfig'; metadata = @{ name = 'traefik'; namespace = 'kube-system' }
            spec = @{ valuesContent = "logs:`n  general:`n    level: DEBUG`nports:`n  mqtt:`n    port: 1883`n    expose:`n      default: true`n" }
        } '?manager=kubectl' | Out-Null
    }
    AfterAll { Stop-FakeApi $fake }

    It 'is a conflict on its values that says what -Force does, and nothing is written' {
        $before = Get-Versions $fake
        $failure = Assert-CommandError { Add-TcpForward pg 5432 10.21.22.70 | Publish-ExposeResource -KubeConfig $fake.KubeConfig } 'ClusterFieldConflict,ClusterExpose.Commands.PublishExposeResourceCommand' 'InvalidOperation'
        "$failure" | Should -Match 'spec\.valuesContent of .*kube-system/traefik is managed by kubectl'
        "$failure" | Should -Match 'keeps every other value'
        $failure.ErrorDetails.RecommendedAction | Should -Match '-Force'
        Assert-Unchanged $before (Get-Versions $fake)
    }

    It 'takes the entry point in with -Force, and removing the forward leaves the user''s values and the object' {
        Add-TcpForward pg 5432 10.21.22.70 | Publish-ExposeResource -KubeConfig $fake.KubeConfig -Force
        $config = @(Invoke-Fake $fake 'objects') | Where-Object kind -EQ 'HelmChartConfig'
        $config.spec.valuesContent | Should -Match 'level: DEBUG'
        $config.spec.valuesContent | Should -Match '(?m)^  mqtt:'
        $config.spec.valuesContent | Should -Match '(?m)^  pg:'

        Remove-TcpForward pg -KubeConfig $fake.KubeConfig -Confirm:$false
        $config = @(Invoke-Fake $fake 'objects') | Where-Object kind -EQ 'HelmChartConfig'
        $config | Should -Not -BeNullOrEmpty
        $config.spec.valuesContent | Should -Match 'level: DEBUG'
        $config.spec.valuesContent | Should -Match '(?m)^  mqtt:'
        $config.spec.valuesContent | Should -Not -Match 'pg:'
        $config.metadata.labels.'app.kubernetes.io/managed-by' | Should -BeNullOrEmpty
    }
}
