# Every error path: a stable FullyQualifiedErrorId, the right category, and nothing produced.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
}

Describe 'Input errors carry stable ids' {
    It '<Name>' -ForEach @(
        @{ Name = 'an invalid host name'; Id = 'InvalidHostname,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 'kl..example.top' 10.21.22.65 } }
        @{ Name = 'a wildcard in the middle'; Id = 'InvalidHostname,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 'a.*.example.top' 10.21.22.65 } }
        @{ Name = 'a host name as target'; Id = 'InvalidTargetAddress,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 kl.example.top private.example } }
        @{ Name = 'an upper-case Service name'; Id = 'InvalidName,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost K65 kl.example.top 10.21.22.65 } }
        @{ Name = 'a namespace with underscores'; Id = 'InvalidNamespace,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 -Namespace my_ns } }
        @{ Name = 'port 0'; Id = 'InvalidPort,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 -TargetHttpsPort 0 } }
        @{ Name = 'port 70000'; Id = 'InvalidPort,ClusterExpose.Commands.AddTcpForwardCommand'; Command = { Add-TcpForward pg 70000 10.21.22.70 } }
        @{ Name = 'PROXY protocol on the Gateway API'; Id = 'UnsupportedByFlavor,ClusterExpose.Commands.NewExposedHostCommand'; Command = { New-ExposedHost k65 kl.example.top 10.21.22.65 -Flavor GatewayApi -ProxyProtocol V1 } }
        @{ Name = 'PROXY protocol on a LoadBalancer forward'; Id = 'UnsupportedByMode,ClusterExpose.Commands.AddTcpForwardCommand'; Command = { Add-TcpForward ssh 22 10.21.22.9 -Mode LoadBalancer -ProxyProtocol V2 } }
        @{ Name = 'a long forward name without an entry point'; Id = 'InvalidEntryPoint,ClusterExpose.Commands.AddTcpForwardCommand'; Command = { Add-TcpForward postgres-primary-db 5432 10.21.22.70 } }
    ) {
        $record = Assert-CommandError $Command $Id 'InvalidArgument'
        $record.Exception.Message | Should -Match "'"
    }

    It 'New-ExposedHost reports every problem, not just the first' {
        $null = New-ExposedHost K kl.example.top 10.21.22.65 -Namespace Bad_NS -HttpPort 0 -ErrorAction SilentlyContinue -ErrorVariable err
        $err.FullyQualifiedErrorId | Should -Be @('InvalidName', 'InvalidNamespace', 'InvalidPort' | ForEach-Object { "$_,ClusterExpose.Commands.NewExposedHostCommand" })
    }

    It 'Add-TcpForward refuses a public port already in the set and passes nothing on' {
        $out = New-ExposedHost k65 kl.example.top 10.21.22.65 | Add-TcpForward tls 443 10.21.22.70 -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'DuplicatePublicPort,ClusterExpose.Commands.AddTcpForwardCommand'
    }

    It 'a host name claimed twice in one set renders nothing' {
        $a = New-ExposedHost a kl.example.top 10.21.22.65
        $b = New-ExposedHost b kl.example.top 10.21.22.66
        { $a, $b | ConvertTo-ExposeManifest -ErrorAction Stop } |
            Should -Throw -ErrorId 'DuplicateHostname,ClusterExpose.Commands.ConvertToExposeManifestCommand'
    }

    It 'a loopback target is kept in the model but refused for Kubernetes, saying why' {
        $h = New-ExposedHost local kl.example.top 127.0.0.1
        $h.TargetAddress | Should -Be '127.0.0.1'
        $out = $h | ConvertTo-ExposeManifest -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'AddressRejectedByKubernetes,ClusterExpose.Commands.ConvertToExposeManifestCommand'
        $err[0].Exception.Message | Should -Match 'loopback'
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'a forward cannot take what Traefik''s own chart declares: <Name>' -ForEach @(
        @{ Name = 'the web entry point'; Id = 'ReservedEntryPoint,ClusterExpose.Commands.ConvertToExposeManifestCommand'; Command = { Add-TcpForward web 8081 10.21.22.70 | ConvertTo-ExposeManifest } }
        @{ Name = 'the public port of websecure'; Id = 'ReservedPublicPort,ClusterExpose.Commands.ConvertToExposeManifestCommand'; Command = { Add-TcpForward mail 443 10.21.22.70 | ConvertTo-ExposeManifest } }
        @{ Name = 'the pod port of another forward'; Id = 'DuplicateContainerPort,ClusterExpose.Commands.ConvertToExposeManifestCommand'; Command = { Add-TcpForward ssh 22 10.21.22.70 | Add-TcpForward ssh-alt 10022 10.21.22.71 | ConvertTo-ExposeManifest } }
    ) {
        $record = Assert-CommandError $Command $Id 'InvalidArgument'
        $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'an invalid set writes no file' {
        $path = Join-Path $TestDrive 'never.yaml'
        New-ExposedHost local kl.example.top 169.254.1.1 | Export-ExposeManifest -Path $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'AddressRejectedByKubernetes,ClusterExpose.Commands.ExportExposeManifestCommand'
        Test-Path $path | Should -BeFalse
    }

    It 'an export makes a missing parent folder, and refuses a folder or an unwritable target naming the user''s path' {
        $nested = Join-Path $TestDrive 'cloud/k65.yaml'
        $written = New-ExposedHost k65 kl.example.top 10.21.22.65 | Export-ExposeManifest -Path $nested -PassThru
        $written.FullName | Should -Be $nested
        Get-Content -Raw $nested | Should -Match 'kind: IngressRouteTCP'

        $folder = Assert-CommandError { New-ExposedHost k65 kl.example.top 10.21.22.65 | Export-ExposeManifest -Path (Join-Path $TestDrive 'cloud') } 'PathIsFolder,ClusterExpose.Commands.ExportExposeManifestCommand' 'InvalidArgument'
        "$folder" | Should -Match ([regex]::Escape((Join-Path $TestDrive 'cloud')))

        # A file where the parent folder should be: the folder cannot be made.
        $blocked = Join-Path $TestDrive 'plain-file/k65.yaml'
        Set-Content -LiteralPath (Join-Path $TestDrive 'plain-file') -Value 'not a folder'
        $failed = Assert-CommandError { New-ExposedHost k65 kl.example.top 10.21.22.65 | Export-ExposeManifest -Path $blocked } 'WriteFailed,ClusterExpose.Commands.ExportExposeManifestCommand' 'WriteError'
        "$failed" | Should -Match ([regex]::Escape($blocked))
        "$failed" | Should -Not -Match '\.tmp-'
    }

    It 'pipeline input that is not an exposure is refused by type' {
        { 'kl.example.top' | ConvertTo-ExposeManifest -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnsupportedInputObject,ClusterExpose.Commands.ConvertToExposeManifestCommand'
    }
}

Describe 'Names a user would hardly mean' {
    It 'warns about <Hostname> and still creates the exposure' -ForEach @(
        @{ Hostname = 'com'; Subdomains = $true; Expected = "'\*\.com' is a wildcard directly under the public suffix 'com'" }
        @{ Hostname = 'co.uk'; Subdomains = $true; Expected = "'\*\.co\.uk' is a wildcard directly under the public suffix 'co\.uk'" }
        @{ Hostname = 'localhost'; Subdomains = $false; Expected = "'localhost' never reaches the cloud cluster" }
        @{ Hostname = 'nas'; Subdomains = $false; Expected = "'nas' is a single-label name" }
    ) {
        $created = New-ExposedHost k65 $Hostname 10.21.22.65 -IncludeSubdomains:$Subdomains -WarningVariable warned -WarningAction SilentlyContinue
        $created | Should -Not -BeNullOrEmpty
        ($warned -join "`n") | Should -Match $Expected
    }

    It 'has nothing to say about an ordinary name' {
        New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        $warned | Should -BeNullOrEmpty
    }
}

Describe 'Manifest errors' {
    It 'broken YAML is InvalidData with its line' {
        $path = Join-Path $TestDrive 'broken.yaml'
        "apiVersion: v1`nkind: Service`nmetadata: {name: x`n" | Set-Content $path
        $out = Import-ExposeManifest $path -ErrorAction SilentlyContinue -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ManifestSyntaxError,ClusterExpose.Commands.ImportExposeManifestCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match 'line \d+'
    }

    It 'a file over the size cap is refused before it is read, and -MaxFileBytes raises the cap' {
        $path = Join-Path $TestDrive 'k65.yaml'
        New-ExposedHost k65 kl.example.top 10.21.22.65 | Export-ExposeManifest -Path $path
        $size = (Get-Item $path).Length
        $record = Assert-CommandError { Import-ExposeManifest $path -MaxFileBytes ($size - 1) } 'ManifestTooLarge,ClusterExpose.Commands.ImportExposeManifestCommand' 'LimitsExceeded'
        "$record" | Should -Match ([regex]::Escape($path))
        "$record" | Should -Match '-MaxFileBytes'
        (Import-ExposeManifest $path -MaxFileBytes $size).Name | Should -Be 'k65'
    }

    It 'aliases that would expand without bound are refused with their own id' {
        $path = Join-Path $TestDrive 'lol.yaml'
        $lines = @('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'data:', '  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]')
        $lines += (1..9 | ForEach-Object { $level = $_; "  a${level}: &a$level [" + ((1..10 | ForEach-Object { "*a$($level - 1)" }) -join ', ') + ']' })
        $lines -join "`n" | Set-Content -LiteralPath $path
        Assert-CommandError { Import-ExposeManifest $path } 'ManifestTooComplex,ClusterExpose.Commands.ImportExposeManifestCommand' 'InvalidData' | Out-Null
    }

    It 'a missing file is ObjectNotFound' {
        { Import-ExposeManifest (Join-Path $TestDrive 'nope.yaml') -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileNotFound,ClusterExpose.Commands.ImportExposeManifestCommand'
    }

    It 'a wildcard that matches nothing is ObjectNotFound naming the pattern, for every reader of files' {
        $pattern = Join-Path $TestDrive 'nowhere/*.yaml'
        $record = Assert-CommandError { Import-ExposeManifest $pattern } 'FileNotFound,ClusterExpose.Commands.ImportExposeManifestCommand' 'ObjectNotFound'
        "$record" | Should -Match ([regex]::Escape($pattern))
        Assert-CommandError { Test-SniRoute -Hostname a.example.top -Path $pattern } 'FileNotFound,ClusterExpose.Commands.TestSniRouteCommand' 'ObjectNotFound' | Out-Null
        Assert-CommandError { Start-SniProxy -Path $pattern -ListenAddress 127.0.0.1 -WhatIf } 'FileNotFound,ClusterExpose.Commands.StartSniProxyCommand' 'ObjectNotFound' | Out-Null
    }

    It 'a file with no objects is an error' {
        $path = Join-Path $TestDrive 'empty.yaml'
        "# nothing here`n" | Set-Content $path
        { Import-ExposeManifest $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'ManifestEmpty,ClusterExpose.Commands.ImportExposeManifestCommand'
    }
}
