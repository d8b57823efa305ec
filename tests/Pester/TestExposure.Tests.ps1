# Test-Exposure as a user runs it: objects or a manifest in, one result per name and protocol out,
# a table that fits a terminal, and every mistake an error with a stable id. The hop-by-hop findings
# are tested in xunit (ExposureCheckerTests) against loopback stand-ins of every hop; here the probes
# reach loopback listeners only.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
}

Describe 'Test-Exposure' {
    It 'connects to each TCP forward and reports it as a result with a table view' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $closed = Get-FreePort
            $forwards = Add-TcpForward db $listener.LocalEndpoint.Port 10.21.22.70 -TargetPort 5432 | Add-TcpForward cache $closed 10.21.22.71 -TargetPort 6379
            $results = $forwards | Test-Exposure -PublicAddress 127.0.0.1 -TimeoutSec 5
            $results.Count | Should -Be 2
            $results[0] | Should -BeOfType ([ClusterExpose.ExposureCheck])
            $results[0].Name | Should -Be 'db'
            $results[0].Status | Should -Be 'Ok'
            $results[0].Findings.Id | Should -Be 'TcpOk'
            $results[1].Status | Should -Be 'Failed'
            $results[1].Findings[0].Id | Should -Be 'TcpFailed'
            $results[1].Findings[0].Message | Should -Match '^ProbeConnectionRefused: '
            $table = $results | Out-String -Width 120
            $table | Should -Match 'Name\s+Protocol\s+Status\s+Summary'
            $table | Should -Match 'cache\s+Tcp\s+Failed\s+connect failed'
        }
        finally {
            $listener.Stop()
        }
    }

    It 'reads the exposures of a manifest file' {
        $file = Join-Path $TestDrive 'forward.yaml'
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            Add-TcpForward db $listener.LocalEndpoint.Port 10.21.22.70 -TargetPort 5432 | Export-ExposeManifest -Path $file
            $result = Test-Exposure -Path $file -PublicAddress 127.0.0.1 -TimeoutSec 5
            $result.Exposure | Should -Be 'db'
            $result.Status | Should -Be 'Ok'
        }
        finally {
            $listener.Stop()
        }
    }

    It 'reads what was published to a cluster and routes with all of that cluster''s routes' {
        . (Join-Path $PSScriptRoot 'FakeApi.ps1')
        # The FAKE API server of tests/FakeKubeApi (no cluster can run here), answering as the recorded kube-apiserver does.
        $fake = Start-FakeApi
        try {
            $null = New-ExposedHost k65 kl.example.top 10.21.22.65 | Publish-ExposeResource -KubeConfig $fake.KubeConfig
            # Someone else's route in the same cluster takes the name on websecure with a higher priority than ours (exact names: 30000).
            $null = Invoke-Fake $fake 'seed' @{
                apiVersion = 'traefik.io/v1alpha1'; kind = 'IngressRouteTCP'; metadata = @{ name = 'legacy'; namespace = 'default' }
                spec = @{ entryPoints = @('websecure'); routes = @(@{ match = 'HostSNI(`kl.example.top`)'; priority = 40000; services = @(@{ name = 'legacy'; port = 443 }) }); tls = @{ passthrough = $true } }
            }
            $closed = Get-FreePort
            $results = Test-Exposure -KubeConfig $fake.KubeConfig -PublicAddress 127.0.0.1 -HttpsPort $closed -HttpPort $closed -DnsServer "127.0.0.1:$closed" -TimeoutSec 1
            $https = $results | Where-Object Protocol -EQ Https
            $https.Exposure | Should -Be 'k65'
            $https.Route | Should -Be 'default/legacy'
            $https.Findings.Id | Should -Contain 'RouteElsewhere'
            ($results | Where-Object Protocol -EQ Http).Findings.Id | Should -Contain 'RouteOk'
        }
        finally {
            Stop-FakeApi $fake
        }
    }

    It 'refuses <Case> with a stable id, and probes nothing' -ForEach @(
        @{ Case = 'no exposure'; Command = { @() | Test-Exposure -PublicAddress 127.0.0.1 }; Id = 'NoInputObject' }
        @{ Case = 'a DNS server that is not an address'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 | Test-Exposure -PublicAddress 127.0.0.1 -DnsServer dns.example.top }; Id = 'InvalidDnsServer' }
        @{ Case = 'a name no exposure serves'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 | Test-Exposure -PublicAddress 127.0.0.1 -Hostname other.example.top }; Id = 'InvalidHostname' }
        @{ Case = 'a public address that does not resolve'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 | Test-Exposure -PublicAddress edge.example.invalid -DnsServer "127.0.0.1:$(Get-FreePort)" -TimeoutSec 1 }; Id = 'PublicAddressUnresolved' }
    ) {
        $null = Assert-CommandError $Command "$Id,ClusterExpose.Commands.TestExposureCommand" 'InvalidArgument'
    }
}
