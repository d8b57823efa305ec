# The cluster cmdlets end to end through the staged module, over the real KubernetesClient code path,
# against FakeKubeApi: a FAKE Kubernetes API server (tests/FakeKubeApi) run as its own process on
# 127.0.0.1, since no cluster can run where these tests run. It checks what a real API server checks
# for these calls (apply content type, field manager, dryRun=All, strict fields, names, endpoint
# addresses, field ownership, label selectors, delete preconditions, Status bodies, RBAC denials).
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force

    . (Join-Path $PSScriptRoot 'FakeApi.ps1')

    function Get-FakeObject($Fake, [string] $Kind, [string] $Name, [string] $Namespace = 'default') {
        @(Invoke-Fake $Fake 'objects') | Where-Object { $_.kind -eq $Kind -and $_.metadata.name -eq $Name -and $_.metadata.namespace -eq $Namespace }
    }

    function New-Scenario {
        New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70
    }
}

Describe 'Publish-ExposeResource' {
    BeforeAll { $fake = Start-FakeApi }
    AfterAll { Stop-FakeApi $fake }

    It 'creates everything, and the second run changes nothing' {
        $first = New-Scenario | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru
        $first.Action | Sort-Object -Unique | Should -Be 'Create'
        $first.Kind | Should -Contain 'IngressRouteTCP'
        $first | Where-Object Kind -EQ 'Service' | ForEach-Object { $_.Uid | Should -Not -BeNullOrEmpty }
        (Get-FakeObject $fake 'Service' 'k65').metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'clusterexpose'

        $second = New-Scenario | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru
        $second.Action | Sort-Object -Unique | Should -Be 'Unchanged'
        $second.Count | Should -Be $first.Count
    }

    It 'sends nothing but dry runs with -WhatIf, and plans the update it would make' {
        Invoke-Fake $fake 'clear' @{} | Out-Null
        $planned = New-ExposedHost k65 kl.example.top 10.21.22.99 -IncludeSubdomains | Publish-ExposeResource -KubeConfig $fake.KubeConfig -WhatIf -PassThru
        $requests = @(Invoke-Fake $fake 'requests')
        $writes = $requests | Where-Object { $_.Method -in 'PATCH', 'DELETE', 'POST', 'PUT' }
        $writes | Should -Not -BeNullOrEmpty
        $writes | ForEach-Object { $_.DryRun | Should -Be 'All' -Because "$($_.Method) $($_.Path) must not persist" }
        $writes | ForEach-Object { $_.ContentType | Should -BeLike 'application/apply-patch+yaml*'; $_.FieldManager | Should -Be 'clusterexpose' }
        ($planned | Where-Object Kind -EQ 'EndpointSlice').Action | Should -Be 'Update'
        ($planned | Where-Object Kind -EQ 'EndpointSlice').ChangedFields | Should -Be 'endpoints'
        (Get-FakeObject $fake 'EndpointSlice' 'k65-ipv4').endpoints[0].addresses | Should -Be '10.21.22.65'
    }

    It 'writes nothing when the server refuses one object, and says why' {
        $file = Join-Path $TestDrive 'bad.yaml'
        Set-Content -LiteralPath $file -Value @'
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {ports: [{name: tcp, port: 5432}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-ipv4, namespace: default, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
ports: [{name: tcp, port: 5432}]
'@
        Publish-ExposeResource -Path $file -KubeConfig $fake.KubeConfig -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'ClusterInvalidObject,ClusterExpose.Commands.PublishExposeResourceCommand'
        $failed.CategoryInfo.Category | Should -Be 'InvalidData'
        "$failed" | Should -Match 'endpoints\[0\]\.addresses.*loopback'
        Get-FakeObject $fake 'Service' 'db' | Should -BeNullOrEmpty
    }

    It 'takes manifest files from Get-ChildItem on the pipeline' {
        $file = Join-Path $TestDrive 'k90.yaml'
        New-ExposedHost k90 game.example.top 10.21.22.90 | Export-ExposeManifest -Path $file
        (Get-ChildItem $file | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru).Action | Sort-Object -Unique | Should -Be 'Create'
        (Get-ChildItem $file | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru).Action | Sort-Object -Unique | Should -Be 'Unchanged'
        (Publish-ExposeResource -Path $file -KubeConfig $fake.KubeConfig -PassThru).Action | Sort-Object -Unique | Should -Be 'Unchanged'
    }

    It 'refuses a kind ClusterExpose does not write, before sending anything' {
        $file = Join-Path $TestDrive 'secret.yaml'
        Set-Content -LiteralPath $file -Value "apiVersion: v1`nkind: Secret`nmetadata: {name: token}`n"
        Invoke-Fake $fake 'clear' @{} | Out-Null
        Publish-ExposeResource -Path $file -KubeConfig $fake.KubeConfig -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'UnsupportedKind,ClusterExpose.Commands.PublishExposeResourceCommand'
        @(Invoke-Fake $fake 'requests') | Where-Object Method -EQ 'PATCH' | Should -BeNullOrEmpty
    }

    It 'names the field and the manager of a conflict, writes nothing, and takes the field over with -Force' {
        Invoke-Fake $fake 'seed' @{ apiVersion = 'v1'; kind = 'Service'; metadata = @{ name = 'k70'; namespace = 'default' }; spec = @{ ports = @(@{ port = 443; protocol = 'TCP'; targetPort = 8443 }) } } -Query '?manager=kubectl-edit' | Out-Null
        $host70 = New-ExposedHost k70 nas.example.top 10.21.22.70
        $host70 | Publish-ExposeResource -KubeConfig $fake.KubeConfig -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'ClusterFieldConflict,ClusterExpose.Commands.PublishExposeResourceCommand'
        $failed.CategoryInfo.Category | Should -Be 'InvalidOperation'
        "$failed" | Should -Match ([regex]::Escape('.spec.ports[port=443,protocol="TCP"].targetPort: conflict with "kubectl-edit"'))
        $failed.ErrorDetails.RecommendedAction | Should -Match '-Force'
        Get-FakeObject $fake 'IngressRoute' 'k70-http' | Should -BeNullOrEmpty

        $forced = $host70 | Publish-ExposeResource -KubeConfig $fake.KubeConfig -Force -PassThru
        ($forced | Where-Object Kind -EQ 'Service').Action | Should -Be 'Update'
        ((Get-FakeObject $fake 'Service' 'k70').spec.ports | Where-Object port -EQ 443).targetPort | Should -Be 443
    }

    It 'shows the server''s deprecation warnings as PowerShell warnings' {
        New-ExposedHost k80 old.example.top 10.21.22.80 | Publish-ExposeResource -KubeConfig $fake.KubeConfig -LegacyEndpoints -WarningVariable warned -WarningAction SilentlyContinue
        ($warned | Select-Object -Unique) | Should -Match 'v1 Endpoints is deprecated'
        Get-FakeObject $fake 'Endpoints' 'k80' | Should -Not -BeNullOrEmpty
    }

    It 'shows its plan and results in a table' {
        $table = New-Scenario | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru | Format-Table | Out-String -Width 120
        $table | Should -Match 'Action\s+Kind\s+Namespace\s+Name\s+ChangedFields'
        $table | Should -Match 'Unchanged\s+IngressRouteTCP\s+default\s+k65-https'
    }
}

Describe 'Get, Test and Remove against what was published' {
    BeforeAll {
        $fake = Start-FakeApi
        New-Scenario | Publish-ExposeResource -KubeConfig $fake.KubeConfig
        New-ExposedHost k66 nas.example.top 10.21.22.66 -Namespace edge | Publish-ExposeResource -KubeConfig $fake.KubeConfig
        Invoke-Fake $fake 'seed' @{ apiVersion = 'v1'; kind = 'Service'; metadata = @{ name = 'web'; namespace = 'default'; labels = @{ app = 'web' } }; spec = @{ ports = @(@{ port = 80 }) } } | Out-Null
    }
    AfterAll { Stop-FakeApi $fake }

    It 'reads the published objects back as equal model objects' {
        $read = Get-ExposedHost -KubeConfig $fake.KubeConfig
        $read | Should -HaveCount 1
        $expected = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains
        $read.Equals($expected) | Should -BeTrue
        (Get-TcpForward pg -KubeConfig $fake.KubeConfig).Port | Should -Be 5432
        (Get-ExposedHost -KubeConfig $fake.KubeConfig -AllNamespaces).Name | Should -Be @('k65', 'k66')
        (Get-ExposedHost 'k6*' -KubeConfig $fake.KubeConfig -Namespace edge).Name | Should -Be 'k66'
    }

    It 'says when a name is not there' {
        Get-ExposedHost nope -KubeConfig $fake.KubeConfig -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'ExposureNotFound,ClusterExpose.Commands.GetExposedHostCommand'
        $failed.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'answers Test-SniRoute from every route in the cluster' {
        Invoke-Fake $fake 'seed' @{ apiVersion = 'traefik.io/v1alpha1'; kind = 'IngressRouteTCP'; metadata = @{ name = 'catch-all'; namespace = 'edge' }; spec = @{ entryPoints = @('websecure'); routes = @(@{ match = 'HostSNI(`*`)'; services = @(@{ name = 'fallback'; port = 443 }) }); tls = @{ passthrough = $true } } } | Out-Null
        $known = Test-SniRoute -Hostname kl.example.top -KubeConfig $fake.KubeConfig -EntryPoint websecure
        $known.Router | Should -Be 'default/k65-https#1'   # its exact names; #2 holds its wildcard
        $other = Test-SniRoute -Hostname unknown.example.top -KubeConfig $fake.KubeConfig -EntryPoint websecure
        $other.Router | Should -Be 'edge/catch-all'
        Get-ExposedHost -KubeConfig $fake.KubeConfig | Test-SniRoute -Hostname a.kl.example.top -EntryPoint web | ForEach-Object Router | Should -Be 'default/k65-http#2'
    }

    It 'completes the names of what ClusterExpose made' {
        $line = "Remove-ExposedHost -KubeConfig '$($fake.KubeConfig)' -Name "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'k65'
        $line = "Get-TcpForward -KubeConfig '$($fake.KubeConfig)' "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'pg'
        $line = "Get-ExposedHost -KubeConfig '$($fake.KubeConfig)' -AllNamespaces -Name k66"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'k66'
    }

    It 'leaves a same-named object it did not create alone' {
        Remove-ExposedHost web -KubeConfig $fake.KubeConfig -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'NotManagedByClusterExpose,ClusterExpose.Commands.RemoveExposedHostCommand'
        Get-FakeObject $fake 'Service' 'web' | Should -Not -BeNullOrEmpty
    }

    It 'deletes nothing with -WhatIf' {
        Invoke-Fake $fake 'clear' @{} | Out-Null
        Get-ExposedHost k65 -KubeConfig $fake.KubeConfig | Remove-ExposedHost -KubeConfig $fake.KubeConfig -WhatIf
        @(Invoke-Fake $fake 'requests') | Where-Object { $_.Method -eq 'DELETE' -and $_.DryRun -ne 'All' } | Should -BeNullOrEmpty
        Get-FakeObject $fake 'Service' 'k65' | Should -Not -BeNullOrEmpty
    }

    It 'removes what Get returned, exactly, with preconditions' {
        Invoke-Fake $fake 'clear' @{} | Out-Null
        Get-ExposedHost k65 -KubeConfig $fake.KubeConfig | Remove-ExposedHost -KubeConfig $fake.KubeConfig -Confirm:$false
        Get-FakeObject $fake 'Service' 'k65' | Should -BeNullOrEmpty
        Get-FakeObject $fake 'IngressRouteTCP' 'k65-https' | Should -BeNullOrEmpty
        Get-FakeObject $fake 'Service' 'pg' | Should -Not -BeNullOrEmpty
        Get-FakeObject $fake 'Service' 'k66' 'edge' | Should -Not -BeNullOrEmpty
        Get-FakeObject $fake 'Service' 'web' | Should -Not -BeNullOrEmpty
        $deletes = @(Invoke-Fake $fake 'requests') | Where-Object Method -EQ 'DELETE'
        $deletes | Where-Object DryRun -EQ 'All' | Should -HaveCount 4
        $deletes | Where-Object DryRun -NE 'All' | Should -HaveCount 4

        $removed = Remove-TcpForward pg -KubeConfig $fake.KubeConfig -Confirm:$false -PassThru
        $removed.Name | Should -Be 'pg'
        $removed.Port | Should -Be 5432
        Get-TcpForward -KubeConfig $fake.KubeConfig | Should -BeNullOrEmpty
        Get-FakeObject $fake 'HelmChartConfig' 'traefik' 'kube-system' | Should -BeNullOrEmpty
    }
}

Describe 'TCP forwards share the k3s HelmChartConfig' {
    BeforeAll { $fake = Start-FakeApi }
    AfterAll { Stop-FakeApi $fake }

    It 'keeps every forward''s entry point when they are published and removed one at a time' {
        Add-TcpForward pg 5432 10.21.22.70 | Publish-ExposeResource -KubeConfig $fake.KubeConfig
        Add-TcpForward ssh 2222 10.21.22.71 -TargetPort 22 | Publish-ExposeResource -KubeConfig $fake.KubeConfig
        $config = Get-FakeObject $fake 'HelmChartConfig' 'traefik' 'kube-system'
        $config.spec.valuesContent | Should -Match '(?m)^  pg:'
        $config.spec.valuesContent | Should -Match '(?m)^  ssh:'
        (Get-TcpForward -KubeConfig $fake.KubeConfig).Name | Sort-Object | Should -Be 'pg', 'ssh'

        Remove-TcpForward ssh -KubeConfig $fake.KubeConfig -Confirm:$false
        $config = Get-FakeObject $fake 'HelmChartConfig' 'traefik' 'kube-system'
        $config.spec.valuesContent | Should -Match '(?m)^  pg:'
        $config.spec.valuesContent | Should -Not -Match 'ssh'
        $config.metadata.annotations.'clusterexpose.io/owner' | Should -Be 'default/TcpForward/pg'
        (Get-TcpForward -KubeConfig $fake.KubeConfig).Port | Should -Be 5432
    }

    It 'refuses a port another forward''s entry point holds, and writes nothing' {
        Invoke-Fake $fake 'clear' @{} | Out-Null
        Add-TcpForward db 5432 10.21.22.72 | Publish-ExposeResource -KubeConfig $fake.KubeConfig -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'DuplicatePublicPort,ClusterExpose.Commands.PublishExposeResourceCommand'
        $failed.CategoryInfo.Category | Should -Be 'ResourceExists'
        @(Invoke-Fake $fake 'requests') | Where-Object { $_.Method -eq 'PATCH' -and $_.DryRun -ne 'All' } | Should -BeNullOrEmpty
        Get-FakeObject $fake 'Service' 'db' | Should -BeNullOrEmpty
    }
}

Describe 'Connecting' {
    BeforeAll { $fake = Start-FakeApi -Apis 'GatewayV1' -Namespace edge }
    AfterAll { Stop-FakeApi $fake }

    It 'renders for the route API the cluster serves, into the context''s namespace for files' {
        $published = New-ExposedHost k67 media.example.top 10.21.22.67 -Namespace edge | Publish-ExposeResource -KubeConfig $fake.KubeConfig -PassThru
        $published.Kind | Should -Contain 'TLSRoute'
        ($published | Where-Object Kind -EQ 'TLSRoute').ApiVersion | Should -Be 'gateway.networking.k8s.io/v1'
        (Get-ExposedHost k67 -KubeConfig $fake.KubeConfig).Flavor | Should -Be 'GatewayApi'
    }

    It 'stops with a clear error for a context the kubeconfig does not have' {
        { Get-ExposedHost -KubeConfig $fake.KubeConfig -Context prod -ErrorAction Stop } | Should -Throw -ErrorId 'KubeContextNotFound,ClusterExpose.Commands.GetExposedHostCommand'
    }

    It 'stops with a clear error when there is no kubeconfig' {
        { Get-ExposedHost -KubeConfig (Join-Path $TestDrive 'absent') -ErrorAction Stop } | Should -Throw -ErrorId 'KubeConfigNotFound,ClusterExpose.Commands.GetExposedHostCommand'
    }

    It 'says who may not do what, as PermissionDenied' {
        Invoke-Fake $fake 'forbid' @{} -Query '?verb=list&resource=services' | Out-Null
        $failure = { Get-ExposedHost -KubeConfig $fake.KubeConfig -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterForbidden,ClusterExpose.Commands.GetExposedHostCommand' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'PermissionDenied'
        "$($failure.Exception.Message)" | Should -Match 'cannot list resource "services"'
    }

    It 'names the server when it cannot be reached' {
        $down = Start-FakeApi
        Stop-FakeApi $down
        $failure = { Get-ExposedHost -KubeConfig $down.KubeConfig -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterUnreachable,ClusterExpose.Commands.GetExposedHostCommand' -PassThru
        $failure.Exception.Message | Should -Match ([regex]::Escape($down.Url))
        $failure.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'completes contexts from the kubeconfig and namespaces from the cluster' {
        $line = "Get-ExposedHost -KubeConfig '$($fake.KubeConfig)' -Context "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'fake'
        $line = "Get-ExposedHost -KubeConfig '$($fake.KubeConfig)' -Namespace e"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'edge'
    }
}

Describe 'New-ExposeRoleManifest' {
    It 'renders a Role and RoleBinding with exact verbs and no wildcards' {
        $yaml = New-ExposeRoleManifest ci -Namespace edge -Flavor TraefikV3, GatewayApi
        $yaml | Should -Match '(?m)^kind: Role$'
        $yaml | Should -Match '(?m)^kind: RoleBinding$'
        $yaml | Should -Match 'httproutes'
        $yaml | Should -Match 'ingressroutetcps'
        $yaml | Should -Not -Match "'\*'"
        $yaml | Should -Match '(?s)subjects:.*name: ci'
    }

    It 'adds a read-only ClusterRole for Test-SniRoute -Context and Start-SniProxy -Context with -ReadAllRoutes' {
        $documents = (New-ExposeRoleManifest ci -Namespace edge -ReadAllRoutes) -split '(?m)^---\s*$'
        $reader = @($documents | Where-Object { $_ -match '(?m)^kind: ClusterRole$' })
        $reader.Count | Should -Be 1
        $reader[0] | Should -Match 'name: clusterexpose-publisher-route-reader'
        $reader[0] | Should -Match 'traefik\.containo\.us'
        # Routes in both Traefik groups, and the Services and EndpointSlices the proxy joins them to.
        ([regex]::Matches($reader[0], '(?m)^\s*- list$')).Count | Should -Be 4
        $reader[0] | Should -Match '(?m)^\s*- services$'
        $reader[0] | Should -Match '(?m)^\s*- endpointslices$'
        $reader[0] | Should -Not -Match '(?m)^\s*- (get|create|patch|delete)$'
        @($documents | Where-Object { $_ -match '(?m)^kind: ClusterRoleBinding$' }).Count | Should -Be 1
        New-ExposeRoleManifest ci -Namespace edge | Should -Not -Match 'ClusterRole'
    }

    It 'refuses a name Kubernetes would refuse' {
        New-ExposeRoleManifest 'Not_Valid' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.FullyQualifiedErrorId | Should -Be 'InvalidRbacOption,ClusterExpose.Commands.NewExposeRoleManifestCommand'
    }
}
