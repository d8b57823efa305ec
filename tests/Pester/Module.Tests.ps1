# The module as a package: its manifest, its exports, and its isolation from other modules' dependencies.
BeforeAll {
    $modulePath = $env:CLUSTEREXPOSE_MODULE
    $moduleRoot = Split-Path $modulePath

    # Runs a script in a new pwsh process (optionally with its own HOME), so what it loads is its own;
    # the script ends by writing one JSON object, which comes back parsed.
    function Invoke-FreshSession([string] $Script, [string] $HomeDirectory) {
        $savedHome = $env:HOME
        try {
            if ($HomeDirectory) {
                $env:HOME = $HomeDirectory
            }
            $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $Script
        }
        finally {
            $env:HOME = $savedHome
        }
        $LASTEXITCODE | Should -Be 0 -Because "the child session failed: $output"
        $output | Select-Object -Last 1 | ConvertFrom-Json
    }
}

Describe 'Module manifest' {
    BeforeAll {
        $manifest = Test-ModuleManifest -Path $modulePath
        $data = Import-PowerShellDataFile $modulePath
    }

    It 'carries the release notes of its version from CHANGELOG.md, and its licence' {
        $changelog = Get-Content -Raw (Join-Path $PSScriptRoot '../../CHANGELOG.md')
        $section = [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($data.ModuleVersion))\b[^\n]*\n(.*?)(?=^## |\z)").Groups[1].Value.Trim()
        $section | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.ReleaseNotes | Should -BeExactly $section
        foreach ($feature in 'Start-SniProxy', 'Test-SniRoute', 'Publish-ExposeResource', 'probes') {
            $data.PrivateData.PSData.ReleaseNotes | Should -Match ([regex]::Escape($feature))
        }
        Get-Content -Raw (Join-Path $moduleRoot 'LICENSE') | Should -Match '^MIT License'
        $data.PrivateData.PSData.LicenseUri | Should -Match '/LICENSE$'
    }

    It 'declares PowerShell 7.4, Core only, with Gallery metadata' {
        $manifest.PowerShellVersion | Should -Be ([version] '7.4')
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.Description | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.Tags | Should -Contain 'Kubernetes'
        $data.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'exports exactly the cmdlets it lists, and stamps its version into the assemblies' {
        $module = Import-Module $modulePath -Force -PassThru
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be ($data.CmdletsToExport | Sort-Object)
        $assemblyVersion = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $moduleRoot 'ClusterExpose.dll')).Version
        '{0}.{1}.{2}' -f $assemblyVersion.Major, $assemblyVersion.Minor, $assemblyVersion.Build | Should -Be $data.ModuleVersion
    }

    It 'keeps the engine and its dependencies out of the module root' {
        Get-ChildItem $moduleRoot -Filter *.dll | ForEach-Object Name | Sort-Object | Should -Be @('ClusterExpose.dll', 'ClusterExpose.Model.dll')
        Test-Path (Join-Path $moduleRoot 'dependencies/ClusterExpose.Engine.dll') | Should -BeTrue
        Test-Path (Join-Path $moduleRoot 'dependencies/YamlDotNet.dll') | Should -BeTrue
    }
}

Describe 'Dependency isolation' {
    It 'works in a session that loaded another YamlDotNet first, and leaves that one working' {
        $otherYaml = Join-Path $env:CLUSTEREXPOSE_TOOLS 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll'
        Test-Path $otherYaml | Should -BeTrue -Because 'build/tools.proj downloads YamlDotNet 16.3.0 for this test'
        $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$otherYaml'
`$before = [YamlDotNet.Serialization.SerializerBuilder]::new().Build().Serialize(@{ other = 'module' }).Trim()
Import-Module '$modulePath'
`$yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 | ConvertTo-ExposeManifest
`$after = [YamlDotNet.Serialization.SerializerBuilder]::new().Build().Serialize(@{ other = 'module' }).Trim()
`$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } |
    ForEach-Object { '{0}@{1}' -f `$_.GetName().Version.Major, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
[pscustomobject]@{ Before = `$before; After = `$after; HasService = `$yaml -match 'kind: Service'; Loaded = (`$loaded | Sort-Object) -join ';' } | ConvertTo-Json -Compress
"@
        $result = Invoke-FreshSession $script
        $result.Before | Should -Be 'other: module'
        $result.After | Should -Be 'other: module'
        $result.HasService | Should -BeTrue
        $result.Loaded | Should -Be '16@Default;18@EngineLoadContext'
    }

    It 'works in a session that loaded another KubernetesClient first, and leaves that one working' {
        . (Join-Path $PSScriptRoot 'FakeApi.ps1')
        $tools = $env:CLUSTEREXPOSE_TOOLS
        $otherClient = Join-Path $tools 'kubernetesclient/19.0.2/lib/net8.0/KubernetesClient.dll'
        Test-Path $otherClient | Should -BeTrue -Because 'build/tools.proj downloads KubernetesClient 19.0.2 for this test'
        $fake = Start-FakeApi
        try {
            $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$(Join-Path $tools 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll')', '$(Join-Path $tools 'fractions/7.3.0/lib/netstandard2.1/Fractions.dll')', '$otherClient'
`$before = [k8s.KubernetesClientConfiguration]::BuildConfigFromConfigFile('$($fake.KubeConfig)').Host
Import-Module '$modulePath'
`$published = @(New-ExposedHost k65 kl.example.top 10.21.22.65 | Publish-ExposeResource -KubeConfig '$($fake.KubeConfig)' -PassThru).Count
`$read = (Get-ExposedHost -KubeConfig '$($fake.KubeConfig)').Name
`$after = [k8s.KubernetesClientConfiguration]::BuildConfigFromConfigFile('$($fake.KubeConfig)').Host
`$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'KubernetesClient' } |
    ForEach-Object { '{0}@{1}' -f `$_.GetName().Version.Major, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
[pscustomobject]@{ Before = `$before; After = `$after; Published = `$published; Read = `$read; Loaded = (`$loaded | Sort-Object) -join ';' } | ConvertTo-Json -Compress
"@
            $result = Invoke-FreshSession $script
        }
        finally {
            Stop-FakeApi $fake
        }
        $result.Before | Should -Be $fake.Url
        $result.After | Should -Be $fake.Url
        $result.Published | Should -Be 4
        $result.Read | Should -Be 'k65'
        $result.Loaded | Should -Be '19@Default;21@EngineLoadContext'
    }

    It 'does not load YamlDotNet or the engine at import' {
        $script = "Import-Module '$modulePath'; @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { `$_.GetName().Name }) | ConvertTo-Json -Compress"
        $loaded = Invoke-FreshSession $script
        $loaded | Should -Contain 'ClusterExpose'
        $loaded | Should -Not -Contain 'YamlDotNet'
        $loaded | Should -Not -Contain 'ClusterExpose.Engine'
        $loaded | Should -Not -Contain 'Microsoft.Extensions.Logging.Abstractions'
        $loaded | Should -Not -Contain 'KubernetesClient'
    }
}

Describe 'Installing from a repository' {
    It 'installs with Install-PSResource from a local folder repository and runs the scenario' {
        $repository = $env:CLUSTEREXPOSE_REPOSITORY
        Get-ChildItem $repository -Filter 'ClusterExpose.*.nupkg' | Should -HaveCount 1
        # A private HOME keeps the repository registration and the installed module out of the user's own.
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name build -Uri '$repository' -Trusted
Install-PSResource -Name ClusterExpose -Repository build -Scope CurrentUser -TrustRepository
Import-Module ClusterExpose
`$module = Get-Module ClusterExpose
`$yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | ConvertTo-ExposeManifest
[pscustomobject]@{ Base = `$module.ModuleBase; Version = `$module.Version.ToString(); Routes = ([regex]::Matches(`$yaml, 'kind: IngressRoute')).Count } | ConvertTo-Json -Compress
"@
        $privateHome = Join-Path $TestDrive 'home'
        $null = New-Item -ItemType Directory $privateHome
        $result = Invoke-FreshSession $script -HomeDirectory $privateHome
        $result.Base | Should -BeLike "$privateHome*"
        $result.Version | Should -Be (Import-PowerShellDataFile $modulePath).ModuleVersion
        $result.Routes | Should -Be 2
    }

    It 'ships only what the module needs' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $package = Get-ChildItem $env:CLUSTEREXPOSE_REPOSITORY -Filter 'ClusterExpose.*.nupkg' | Select-Object -First 1
        $zip = [IO.Compression.ZipFile]::OpenRead($package.FullName)
        try {
            $files = $zip.Entries.FullName | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|ClusterExpose\.nuspec$)' } | Sort-Object
        }
        finally {
            $zip.Dispose()
        }
        $files | Should -Be @(
            'ClusterExpose.dll'
            'ClusterExpose.Format.ps1xml'
            'ClusterExpose.Model.dll'
            'ClusterExpose.psd1'
            'dependencies/ClusterExpose.Engine.dll'
            'dependencies/DnsClient.dll'
            'dependencies/Fractions.dll'
            'dependencies/KubernetesClient.dll'
            'dependencies/Microsoft.Extensions.DependencyInjection.Abstractions.dll'
            'dependencies/Microsoft.Extensions.Logging.Abstractions.dll'
            'dependencies/YamlDotNet.dll'
            'en-US/about_ClusterExpose.help.txt'
            'en-US/ClusterExpose.dll-Help.xml'
            'LICENSE'
        )
    }
}
