# The scenario of the module end to end, through the staged module as a user imports it.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force

    function New-Scenario([string] $Flavor) {
        New-ExposedHost -Name k65 -Hostname kl.example.top -IncludeSubdomains -TargetAddress 10.21.22.65 -Flavor $Flavor |
            Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70 -Flavor $Flavor
    }
}

Describe 'New-ExposedHost' {
    It 'returns a normalised ExposedHost' {
        $h = New-ExposedHost -Name k65 -Hostname 'KL.Example.TOP.', 'bücher.example.top' -IncludeSubdomains -TargetAddress 10.21.22.65
        $h | Should -BeOfType ([ClusterExpose.ExposedHost])
        $h.Name | Should -Be 'k65'
        $h.Namespace | Should -Be 'default'
        $h.Hostname | Should -Be @('kl.example.top', '*.kl.example.top', 'xn--bcher-kva.example.top', '*.xn--bcher-kva.example.top')
        $h.TargetAddress | Should -Be @('10.21.22.65')
        $h.HttpEntryPoint | Should -Be 'web'
        $h.HttpsEntryPoint | Should -Be 'websecure'
        $h.Flavor | Should -Be 'TraefikV3'
    }

    It 'has a table view that shows the names' {
        $text = New-ExposedHost k65 kl.example.top 10.21.22.65 | Format-Table | Out-String -Width 100
        $text | Should -Match 'Hostname'
        $text | Should -Match 'kl\.example\.top'
        $text | Should -Match '80/443'
    }
}

Describe 'Add-TcpForward' {
    It 'creates a forward on its own, defaulting the target port and entry point' {
        $f = Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70
        $f | Should -BeOfType ([ClusterExpose.TcpForward])
        $f.TargetPort | Should -Be 5432
        $f.EntryPoint | Should -Be 'postgres'
        $f.Mode | Should -Be 'TraefikEntryPoint'
    }

    It 'passes pipeline input on with the forward added' {
        $set = New-Scenario TraefikV3
        $set.Count | Should -Be 2
        $set[0] | Should -BeOfType ([ClusterExpose.ExposedHost])
        $set[1] | Should -BeOfType ([ClusterExpose.TcpForward])
        $set[1].Port | Should -Be 5432
    }
}

Describe 'The scenario in the <_> flavor' -ForEach 'TraefikV3', 'TraefikV2', 'GatewayApi' {
    BeforeAll {
        $flavor = $_
        $set = New-Scenario $flavor
        $path = Join-Path $TestDrive "$flavor.yaml"
        $set | Export-ExposeManifest -Path $path
        $yaml = Get-Content -Raw $path
    }

    It 'writes a selectorless Service and an EndpointSlice with the labels Kubernetes needs' {
        $yaml | Should -Match '(?m)^kind: Service$'
        $yaml | Should -Not -Match 'selector:'
        $yaml | Should -Match '(?m)^kind: EndpointSlice$'
        $yaml | Should -Match 'kubernetes\.io/service-name: k65'
        $yaml | Should -Match 'endpointslice\.kubernetes\.io/managed-by: clusterexpose'
        $yaml | Should -Match 'app\.kubernetes\.io/managed-by: clusterexpose'
        $yaml | Should -Match 'clusterexpose\.io/owner: ExposedHost/k65'
    }

    It 'imports back to an equal model' {
        $back = @(Import-ExposeManifest -Path $path -WarningVariable warnings)
        $warnings | Should -BeNullOrEmpty
        $back.Count | Should -Be 2
        $back[0].Equals($set[0]) | Should -BeTrue
        $back[1].Equals($set[1]) | Should -BeTrue
    }

    It 'renders the same text through ConvertTo-ExposeManifest' {
        ($set | ConvertTo-ExposeManifest) | Should -BeExactly $yaml
    }
}

Describe 'Flavor-specific output' {
    It 'Traefik v3 anchors and escapes its regexps and passes TLS through' {
        $yaml = New-Scenario TraefikV3 | ConvertTo-ExposeManifest
        # Exact names and wildcards are routes of their own, the exact one ranked first.
        $yaml | Should -Match ([regex]::Escape("match: Host(``kl.example.top``)`n      priority: 30000"))
        $yaml | Should -Match ([regex]::Escape("match: HostRegexp(``^[a-z0-9-]+\.kl\.example\.top$``)`n      priority: 20014"))
        $yaml | Should -Match ([regex]::Escape("match: HostSNI(``kl.example.top``)`n      priority: 30000"))
        $yaml | Should -Match ([regex]::Escape("match: HostSNIRegexp(``^[a-z0-9-]+\.kl\.example\.top$``)`n      priority: 20014"))
        $yaml | Should -Match 'apiVersion: traefik\.io/v1alpha1'
        $yaml | Should -Match 'passthrough: true'
        $yaml | Should -Match 'kind: HelmChartConfig'
    }

    It 'Traefik v3.7 native wildcards on request' {
        $yaml = New-Scenario TraefikV3 | ConvertTo-ExposeManifest -NativeWildcard
        $yaml | Should -Match ([regex]::Escape('HostSNI(`*.kl.example.top`)'))
        $yaml | Should -Not -Match 'Regexp'
    }

    It 'Traefik v2 uses templates and the legacy group on request' {
        $yaml = New-Scenario TraefikV2 | ConvertTo-ExposeManifest -LegacyApiGroup
        $yaml | Should -Match ([regex]::Escape('HostSNIRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)'))
        $yaml | Should -Match 'apiVersion: traefik\.containo\.us/v1alpha1'
    }

    It 'Gateway API attaches HTTPRoute, TLSRoute and TCPRoute to the named Gateway' {
        $yaml = New-Scenario GatewayApi | ConvertTo-ExposeManifest -GatewayName edge -GatewayNamespace gateways
        $yaml | Should -Match 'kind: HTTPRoute'
        $yaml | Should -Match 'kind: TLSRoute'
        $yaml | Should -Match 'kind: TCPRoute'
        $yaml | Should -Match '(?m)^\s+- name: edge\s*\n\s+namespace: gateways'
        $yaml | Should -Not -Match 'HelmChartConfig'
    }

    It 'PROXY protocol on Traefik v3 goes through a ServersTransportTCP' {
        $yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 -ProxyProtocol V2 | ConvertTo-ExposeManifest
        $yaml | Should -Match 'kind: ServersTransportTCP'
        $yaml | Should -Match 'serversTransport: k65-proxy-protocol'
        $yaml | Should -Match 'version: 2'
    }

    It 'legacy Endpoints only when asked' {
        $h = New-ExposedHost k65 kl.example.top 10.21.22.65
        ($h | ConvertTo-ExposeManifest) | Should -Not -Match '(?m)^kind: Endpoints$'
        ($h | ConvertTo-ExposeManifest -LegacyEndpoints) | Should -Match '(?m)^kind: Endpoints$'
    }
}

Describe 'Export-ExposeManifest' {
    It '-WhatIf writes nothing' {
        $path = Join-Path $TestDrive 'whatif.yaml'
        New-Scenario TraefikV3 | Export-ExposeManifest -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
        Get-ChildItem $TestDrive -Filter 'whatif*' | Should -BeNullOrEmpty
    }

    It 'refuses to overwrite without -Force, and leaves the file as it was' {
        $path = Join-Path $TestDrive 'exists.yaml'
        Set-Content -Path $path -Value 'keep me'
        { New-Scenario TraefikV3 | Export-ExposeManifest -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileExists,ClusterExpose.Commands.ExportExposeManifestCommand'
        (Get-Content -Raw $path).Trim() | Should -Be 'keep me'
    }

    It 'overwrites with -Force and returns the file with -PassThru' {
        $path = Join-Path $TestDrive 'force.yaml'
        Set-Content -Path $path -Value 'old'
        $file = New-Scenario TraefikV3 | Export-ExposeManifest -Path $path -Force -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -Be $path
        Get-Content -Raw $path | Should -Match 'kind: IngressRouteTCP'
    }
}

Describe 'Import-ExposeManifest' {
    It 'reads a hand-written scenario and warns about the kinds it does not model' {
        $path = Join-Path $TestDrive 'by-hand.yaml'
        @'
apiVersion: v1
kind: Service
metadata: {name: k65}
spec:
  ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: k65-a
  labels: {kubernetes.io/service-name: k65}
addressType: IPv4
endpoints: [{addresses: [10.21.22.65]}]
ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: kl}
spec:
  entryPoints: [web]
  routes: [{kind: Rule, match: 'Host(`kl.example.top`) || HostRegexp(`^[a-z0-9-]+\.kl\.example\.top$`)', services: [{name: k65, port: 80}]}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: kl-tls}
spec:
  entryPoints: [websecure]
  routes: [{match: 'HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\.kl\.example\.top$`)', services: [{name: k65, port: 443}]}]
  tls: {passthrough: true}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: kl}
'@ | Set-Content -Path $path
        $h = Import-ExposeManifest -Path $path -WarningVariable warnings -WarningAction SilentlyContinue
        $h.Equals((New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains)) | Should -BeTrue
        $warnings.Count | Should -Be 1
        "$warnings" | Should -Match "Certificate 'default/kl'"
    }

    It 'takes files from Get-ChildItem on the pipeline' {
        $dir = Join-Path $TestDrive 'many'
        $null = New-Item -ItemType Directory $dir
        New-ExposedHost a a.example.top 10.21.22.65 | Export-ExposeManifest (Join-Path $dir 'a.yaml')
        Add-TcpForward ssh 2222 10.21.22.9 -TargetPort 22 | Export-ExposeManifest (Join-Path $dir 'b.yaml')
        $all = Get-ChildItem $dir -Filter *.yaml | Import-ExposeManifest
        ($all | ForEach-Object Name | Sort-Object) | Should -Be @('a', 'ssh')
    }
}
