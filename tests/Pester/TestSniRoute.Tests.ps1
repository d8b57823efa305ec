# Test-SniRoute and Convert-TraefikRule as a user meets them: the scenario, manifest files,
# lint findings, live probes against loopback servers, and every error path by its id.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
    $script:home65 = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains

    # A hand-written set as found in a cloud cluster: a site of its own, the passthrough to home,
    # and an HTTPS router that (by mistake) also names the home host.
    $script:manifest = Join-Path $TestDrive 'cloud.yaml'
    Set-Content -LiteralPath $manifest -Value @'
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: k
  namespace: site
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(`k.example.top`) || Host(`kl.example.top`)
      services:
        - name: k
          port: 80
  tls: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata:
  name: home
spec:
  entryPoints: [websecure]
  routes:
    - match: HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\.kl\.example\.top$`)
      services:
        - name: k65
          port: 443
  tls:
    passthrough: true
'@
}

Describe 'Where a name goes' {
    It 'sends <Name> to <Expected> on <EntryPoint>' -ForEach @(
        # An exposure's exact names are its first route (#1), its wildcards the second (#2).
        @{ Name = 'kl.example.top'; EntryPoint = 'web'; Expected = 'default/k65-http#1'; Kind = 'Http' }
        @{ Name = 'kl.example.top'; EntryPoint = 'websecure'; Expected = 'default/k65-https#1'; Kind = 'TcpPassthrough' }
        @{ Name = 'a.kl.example.top'; EntryPoint = 'web'; Expected = 'default/k65-http#2'; Kind = 'Http' }
        @{ Name = 'A.KL.example.top.'; EntryPoint = 'websecure'; Expected = 'default/k65-https#2'; Kind = 'TcpPassthrough' }
        @{ Name = 'k.example.top'; EntryPoint = 'websecure'; Expected = 'no route'; Kind = 'None' }
        @{ Name = 'akl.example.top'; EntryPoint = 'websecure'; Expected = 'no route'; Kind = 'None' }
        @{ Name = 'a.b.kl.example.top'; EntryPoint = 'websecure'; Expected = 'no route'; Kind = 'None' }
        @{ Name = 'a.b.kl.example.top'; EntryPoint = 'web'; Expected = 'no route'; Kind = 'None' }
    ) {
        $result = $home65 | Test-SniRoute -Hostname $Name -EntryPoint $EntryPoint
        $result | Should -HaveCount 1
        $result.Router | Should -Be $(if ($Expected -ne 'no route') { $Expected })
        $result.Matched | Should -Be ($Expected -ne 'no route')
        $result.Kind | Should -Be $Kind
        $result.Reason | Should -Not -BeNullOrEmpty
    }

    It 'answers once per name and entry point, leaving out port-only entry points' {
        $pg = Add-TcpForward pg 5432 10.21.22.70
        $results = @($home65, $pg) | Test-SniRoute -Hostname kl.example.top, k.example.top
        $results | Should -HaveCount 4
        ($results | ForEach-Object { '{0}@{1}' -f $_.Hostname, $_.EntryPoint }) | Should -Be @('kl.example.top@web', 'kl.example.top@websecure', 'k.example.top@web', 'k.example.top@websecure')
        $results[1].Service | Should -Be 'k65'
        $results[1].Port | Should -Be 443
        $results[1].Tls | Should -BeTrue
    }

    It 'reads hand-written manifests and says which router shadows which' {
        $result = Test-SniRoute -Hostname kl.example.top -Path $manifest
        $result.Router | Should -Be 'site/k'
        $result.Kind | Should -Be 'Https'
        $result.Shadowed.Router | Should -Be 'default/home'
        $result.Reason | Should -Match 'HTTPS router names this host'
        (Test-SniRoute -Hostname a.kl.example.top -Path $manifest).Router | Should -Be 'default/home'
    }

    It 'takes models and files together, and a punycode answer for an IDN question' {
        $idn = New-ExposedHost idn 'bücher.example' 10.21.22.65
        $result = $idn | Test-SniRoute -Hostname 'bücher.example' -Path $manifest -EntryPoint websecure
        $result.Hostname | Should -Be 'xn--bcher-kva.example'
        $result.Router | Should -Be 'default/idn-https'
    }

    It 'shows a table that fits a terminal' {
        $text = $home65 | Test-SniRoute -Hostname kl.example.top | Out-String -Width 120
        $text | Should -Match 'EntryPoint'
        $text | Should -Match 'k65:443'
        ($text -split "`n" | Measure-Object -Maximum Length).Maximum | Should -BeLessOrEqual 120
    }
}

Describe 'Lint' {
    It 'finds the HTTPS router that takes a passthrough name, and the missing HTTP route' {
        $findings = Test-SniRoute -Lint -Path $manifest
        $findings.Code | Should -Contain 'HttpsShadowsPassthrough'
        $findings.Code | Should -Contain 'PassthroughWithoutHttpRoute'
        ($findings | Where-Object Code -EQ 'HttpsShadowsPassthrough').Router | Should -Be 'site/k'
        ($findings | Where-Object Code -EQ 'HttpsShadowsPassthrough').Source | Should -Match 'cloud\.yaml:\d+$'
    }

    It 'finds nothing wrong with what New-ExposedHost writes' {
        $home65 | Test-SniRoute -Lint | Should -BeNullOrEmpty
    }

    It 'takes the Traefik version as people write it: <_>' -ForEach @('3.7', 'v3', '3', '3.7.7', 'V3') {
        $v2 = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains -Flavor TraefikV2
        ($v2 | Test-SniRoute -Lint -TraefikVersion $_).Code | Should -Contain 'V2TemplateUnderV3'
        Convert-TraefikRule 'HostSNI(`a.example`)' -From 2.11 -To $_ | Should -Be 'HostSNI(`a.example`)'
    }

    It 'refuses a Traefik version it does not know, naming the ones it does' {
        { New-ExposedHost k65 kl.example.top 10.21.22.65 | Test-SniRoute -Lint -TraefikVersion 1.7 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,ClusterExpose.Commands.TestSniRouteCommand'
        { Convert-TraefikRule 'Host(`a`)' -To latest -ErrorAction Stop } | Should -Throw '*write it as 3.7, v3, 2.11 or V2*'
    }

    It 'says so in one line when there is nothing to report, and not when there is' {
        $said = @($home65 | Test-SniRoute -Lint 6>&1)
        $said | Should -HaveCount 1
        $said[0] | Should -BeOfType System.Management.Automation.InformationRecord
        "$($said[0].MessageData)" | Should -Match '^No findings: \d+ router\(s\) on 2 entry point\(s\) checked\.$'

        $v2 = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains -Flavor TraefikV2
        @($v2 | Test-SniRoute -Lint -TraefikVersion V3 6>&1) | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | Should -BeNullOrEmpty
    }

    It 'flags v2 templates read by Traefik v3' {
        $v2 = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains -Flavor TraefikV2
        ($v2 | Test-SniRoute -Lint).Code | Should -BeNullOrEmpty
        $findings = $v2 | Test-SniRoute -Lint -TraefikVersion V3
        $findings.Code | Should -Contain 'V2TemplateUnderV3'
        ($findings | Where-Object Code -EQ 'V2TemplateUnderV3')[0].Severity | Should -Be 'Error'
    }
}

Describe 'Live probes' {
    It 'reads the status and redirect of an HTTP endpoint, sending the name as Host' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $server = Start-ThreadJob -ArgumentList $listener -ScriptBlock {
                param($listener)
                $client = $listener.AcceptTcpClient()
                $stream = $client.GetStream()
                $buffer = [byte[]]::new(4096)
                $read = $stream.Read($buffer, 0, $buffer.Length)
                $request = [System.Text.Encoding]::ASCII.GetString($buffer, 0, $read)
                $reply = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 301 Moved Permanently`r`nLocation: https://kl.example.top/`r`nContent-Length: 0`r`n`r`n")
                $stream.Write($reply, 0, $reply.Length)
                $client.Close()
                $request
            }
            $result = Test-SniRoute -Hostname kl.example.top -Server 127.0.0.1 -Port $listener.LocalEndpoint.Port -Http
            $request = $server | Wait-Job -Timeout 10 | Receive-Job
        }
        finally {
            $listener.Stop()
        }

        $result.Mode | Should -Be 'Http'
        $result.StatusCode | Should -Be 301
        $result.RedirectLocation | Should -Be 'https://kl.example.top/'
        $request | Should -Match "`r`nHost: kl.example.top`r`n"
    }

    It 'reports a refused port as a connection error with a stable id' {
        $port = Get-FreePort
        $result = Test-SniRoute -Hostname kl.example.top -Server 127.0.0.1 -Port $port -TimeoutSec 5 -ErrorAction SilentlyContinue -ErrorVariable err
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ProbeConnectionRefused,ClusterExpose.Commands.TestSniRouteCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }
}

Describe 'Convert-TraefikRule' {
    It 'rewrites v2 rules as v3' {
        Convert-TraefikRule 'HostSNI(`kl.example.top`, `a.example`) || HostSNIRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)' |
            Should -Be 'HostSNI(`kl.example.top`) || HostSNI(`a.example`) || HostSNIRegexp(`^[a-z0-9-]+\.kl\.example\.top$`)'
    }

    It 'takes rules from the pipeline, by value and by the match property of a route' {
        $rules = @('Host(`a`, `b`)', [pscustomobject]@{ Match = 'HostHeader(`c`)' }) | Convert-TraefikRule
        $rules | Should -Be @('Host(`a`) || Host(`b`)', 'Host(`c`)')
    }

    It 'converts back to v2 where v2 can say it' {
        Convert-TraefikRule 'HostRegexp(`^[a-z0-9-]+\.kl\.example\.top$`)' -From V3 -To V2 | Should -Be 'HostRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)'
    }
}

Describe 'Errors carry stable ids and change nothing' {
    It '<Name>' -ForEach @(
        @{ Name = 'no routes at all'; Id = 'NoRoutes,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'InvalidArgument'; Command = { Test-SniRoute -Hostname kl.example.top } }
        @{ Name = 'a missing manifest file'; Id = 'FileNotFound,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'ObjectNotFound'; Command = { Test-SniRoute -Hostname kl.example.top -Path (Join-Path $TestDrive 'absent.yaml') } }
        @{ Name = 'a name that is not a host name'; Id = 'InvalidHostname,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'InvalidArgument'; Command = { $home65 | Test-SniRoute -Hostname 'kl..example.top' } }
        @{ Name = 'a wildcard as the name asked about'; Id = 'InvalidHostname,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'InvalidArgument'; Command = { $home65 | Test-SniRoute -Hostname '*.kl.example.top' } }
        @{ Name = 'an entry point no router uses'; Id = 'UnknownEntryPoint,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'ObjectNotFound'; Command = { $home65 | Test-SniRoute -Hostname kl.example.top -EntryPoint webs } }
        @{ Name = 'a string piped in as a route'; Id = 'UnsupportedInputObject,ClusterExpose.Commands.TestSniRouteCommand'; Category = 'InvalidArgument'; Command = { 'kl.example.top' | Test-SniRoute -Hostname kl.example.top } }
        @{ Name = 'a rule that does not parse'; Id = 'InvalidRule,ClusterExpose.Commands.ConvertTraefikRuleCommand'; Category = 'InvalidArgument'; Command = { Convert-TraefikRule 'Host(`a`' } }
        @{ Name = 'a rule v2 cannot say'; Id = 'RuleNotConvertible,ClusterExpose.Commands.ConvertTraefikRuleCommand'; Category = 'InvalidArgument'; Command = { Convert-TraefikRule 'PathRegexp(`^/x`)' -From V3 -To V2 } }
    ) {
        $null = Assert-CommandError $Command $Id $Category
    }

    It 'stops with a terminating error for a client address that is not one' {
        { $home65 | Test-SniRoute -Hostname kl.example.top -ClientIP 'not-an-ip' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidClientIP,ClusterExpose.Commands.TestSniRouteCommand'
    }
}
