# Tab completion as a user meets it, through TabExpansion2.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    function Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

Describe 'Test-SniRoute completes from the routes on the command line' {
    BeforeAll {
        $script:file = Join-Path $TestDrive 'cloud.yaml'
        New-ExposedHost k65 kl.example.top, nas.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 |
            Export-ExposeManifest -Path $file
    }

    It 'offers the host names of the -Path files' {
        Complete "Test-SniRoute -Path '$file' -Hostname na" | Should -Be @('nas.example.top')
        Complete "Test-SniRoute -Path '$file' -Hostname " | Should -Be @('kl.example.top', 'nas.example.top')
    }

    It 'offers the entry points of the -Path files' {
        Complete "Test-SniRoute -Path '$file' -Hostname kl.example.top -EntryPoint " | Should -Be @('web', 'websecure', 'pg')
    }

    It 'offers the names of objects given as a variable' {
        $script:set = New-ExposedHost k65 home.example.top 10.21.22.65
        Complete 'Test-SniRoute -InputObject $set -Hostname ho' | Should -Be @('home.example.top')
    }

    It 'offers nothing, and fails nothing, without routes' {
        Complete 'Test-SniRoute -Hostname kl' | Should -BeNullOrEmpty
        Complete "Test-SniRoute -Path '$(Join-Path $TestDrive 'none.yaml')' -Hostname kl" | Should -BeNullOrEmpty
    }
}

Describe 'The SNI proxy cmdlets complete running proxies by id' {
    It 'offers the ids of running proxies' {
        $proxy = New-ExposedHost k65 kl.example.top 127.0.0.1 | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        try {
            Complete 'Stop-SniProxy -Id ' | Should -Contain ([string]$proxy.Id)
            Complete 'Get-SniProxy -Id ' | Should -Contain ([string]$proxy.Id)
        }
        finally {
            Stop-SniProxy -Id $proxy.Id -DrainTimeoutSec 0
        }

        Complete 'Stop-SniProxy -Id ' | Should -Not -Contain ([string]$proxy.Id)
    }
}

Describe 'Names complete from what they can name, never from file names' {
    BeforeAll {
        Push-Location $TestDrive
        Set-Content -LiteralPath (Join-Path $TestDrive 'k65.yaml') -Value 'not a name'
        Set-Content -LiteralPath (Join-Path $TestDrive 'notes.txt') -Value 'not a name'
        $script:savedKubeConfig = $env:KUBECONFIG
        $env:KUBECONFIG = Join-Path $TestDrive 'no-cluster'
    }
    AfterAll {
        Pop-Location
        $env:KUBECONFIG = $savedKubeConfig
    }

    It '-<Parameter> of <Command> offers no file name' -ForEach @(
        foreach ($command in (Import-Module $env:CLUSTEREXPOSE_MODULE -Force -PassThru).ExportedCmdlets.Values) {
            foreach ($parameter in 'Name', 'Hostname', 'ServiceAccount') {
                if ($command.Parameters.ContainsKey($parameter)) { @{ Command = $command.Name; Parameter = $parameter } }
            }
        }
    ) {
        $offered = Complete "$Command -$Parameter "
        $offered | Where-Object { $_ -match '\.(yaml|txt)$' } | Should -BeNullOrEmpty
    }
}
