<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the ClusterExpose module.
.DESCRIPTION
    Build    stages the module into out/ClusterExpose (Import-Module ./out/ClusterExpose/ClusterExpose.psd1).
    Test     builds, then runs every xunit and Pester test against the staged module and ends with
             one line 'N passed, N failed'.
    Demo     builds, then runs the scenario on its embedded default: no cluster, no network.
    Package  builds, then writes a .nupkg into out/repository that Install-PSResource can install.
    Bench    runs bench/: Start-SniProxy's engine against HAProxy, nginx and sniproxy (installed from
             Debian packages when missing) on 127.0.0.1, and writes out/bench/results.md.
    Image    builds, then the module image of deploy/Dockerfile (clusterexpose-module:<version>) with
             docker or podman, for the init container of ConvertTo-SniProxyManifest's DaemonSet.
    Clean    removes out/.
    Only the .NET SDK is assumed: PowerShell comes from the repository's dotnet tool manifest,
    Pester from NuGet (build/tools.proj).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'Image', 'Clean')]
    [string] $Task = 'Build',

    # Bench: how many measured rounds (medians are reported).
    [ValidateRange(1, 20)]
    [int] $Rounds = 3,

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$root = $PSScriptRoot
$out = Join-Path $root 'out'
$staging = Join-Path $out 'ClusterExpose'
$toolPackages = Join-Path $out 'tools'
$testResults = Join-Path $out 'test-results'
$repository = Join-Path $out 'repository'
$fakeApi = Join-Path $out 'fake-api'
$manifest = Import-PowerShellDataFile (Join-Path $root 'ClusterExpose.psd1')
$version = $manifest.ModuleVersion

# The staged module is made of exactly these files; a missing one fails the build rather than
# shipping a module that breaks at import.
$facadeFiles = @('ClusterExpose.dll', 'ClusterExpose.Model.dll')
$engineFiles = @('ClusterExpose.Engine.dll', 'YamlDotNet.dll', 'KubernetesClient.dll', 'Fractions.dll', 'Microsoft.Extensions.Logging.Abstractions.dll', 'Microsoft.Extensions.DependencyInjection.Abstractions.dll', 'DnsClient.dll')

function Invoke-DotNet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE."
    }
}

function Copy-Exact([string] $From, [string[]] $Names, [string] $To) {
    $null = New-Item -ItemType Directory -Force -Path $To
    foreach ($name in $Names) {
        $source = Join-Path $From $name
        if (-not (Test-Path -LiteralPath $source)) {
            throw "Build output '$source' is missing; the module cannot be staged."
        }
        Copy-Item -LiteralPath $source -Destination $To
    }
}

function Invoke-Build {
    $publish = Join-Path $out 'publish'
    Remove-Item -Recurse -Force -ErrorAction Ignore $publish, $staging
    $common = @('-c', $Configuration, "-p:Version=$version", '--nologo', '-v', 'quiet')
    Invoke-DotNet publish (Join-Path $root 'src/Cmdlets/ClusterExpose.Cmdlets.csproj') @common -o (Join-Path $publish 'facade')
    Invoke-DotNet publish (Join-Path $root 'src/Engine/ClusterExpose.Engine.csproj') @common -o (Join-Path $publish 'engine')

    Copy-Exact (Join-Path $publish 'facade') $facadeFiles $staging
    Copy-Exact (Join-Path $publish 'engine') $engineFiles (Join-Path $staging 'dependencies')
    Copy-Item (Join-Path $root 'ClusterExpose.psd1') $staging
    Copy-Item (Join-Path $root 'LICENSE') $staging
    Set-ReleaseNotes (Join-Path $staging 'ClusterExpose.psd1')
    Copy-Item (Join-Path $root 'module/*') $staging -Recurse
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File (Join-Path $root 'build/Compile-Help.ps1') `
        -ModulePath (Join-Path $staging 'ClusterExpose.psd1') -SourceFolder (Join-Path $root 'docs/help') -Destination (Join-Path $staging 'en-US/ClusterExpose.dll-Help.xml')
    if ($LASTEXITCODE -ne 0) {
        throw 'Compiling the help failed.'
    }

    Write-Host "Staged ClusterExpose $version in $staging"
}

# Real clients the proxy tests drive, and the proxies the benchmark compares against, come from
# Debian packages; they are installed when missing (as root, through apt-get).
function Install-DebianPackages([string[]] $Commands, [string[]] $Packages) {
    $missing = @($Commands | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) })
    if ($missing.Count -eq 0) {
        return
    }

    if (-not (Get-Command apt-get -CommandType Application -ErrorAction Ignore)) {
        throw "The tests need $($missing -join ', '); install them with your package manager."
    }

    $asRoot = (& id -u) -eq '0'
    Write-Host "Installing $($Packages -join ', ') for $($missing -join ', ')"
    if ($asRoot) {
        & apt-get update -qq | Out-Null
        & env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends @Packages | Out-Null
    }
    else {
        & sudo apt-get update -qq | Out-Null
        & sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends @Packages | Out-Null
    }

    if ($LASTEXITCODE -ne 0) {
        throw "apt-get could not install $($Packages -join ', ')."
    }
}

function Restore-Tools {
    Invoke-DotNet restore (Join-Path $root 'build/tools.proj') --packages $toolPackages --nologo -v quiet
    return Join-Path $toolPackages 'pester/5.7.1/tools/Pester.psd1'
}

function Get-TrxCount([string] $Path) {
    [xml] $trx = Get-Content -Raw -LiteralPath $Path
    $counters = $trx.TestRun.ResultSummary.Counters
    # The names and first message lines of what did not pass, so that the end of a long log says which tests failed.
    $failures = @($trx.TestRun.Results.UnitTestResult | Where-Object { $_.outcome -ne 'Passed' } | ForEach-Object {
            $message = [string] $_.Output.ErrorInfo.Message
            "$($_.testName): $(($message -split "`n" | Select-Object -First 3) -join ' | ')"
        })
    [pscustomobject]@{ Passed = [int] $counters.passed; Failed = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted; NotRun = [int] $counters.notExecuted; Failures = $failures }
}

function Invoke-Test {
    Install-DebianPackages -Commands openssl, curl, haproxy, prlimit, systemd-analyze -Packages openssl, curl, ca-certificates, haproxy, util-linux, systemd
    Invoke-Build
    # The install test installs the package exactly as a user would, so it is built first.
    Invoke-Package -NoBuild
    # The Pester tests of the cluster cmdlets run the fake API server as a process of its own.
    Invoke-DotNet build (Join-Path $root 'tests/FakeKubeApi/FakeKubeApi.csproj') -c $Configuration -o $fakeApi --nologo -v quiet
    $pesterManifest = Restore-Tools
    Remove-Item -Recurse -Force -ErrorAction Ignore $testResults
    $null = New-Item -ItemType Directory -Force $testResults

    $passed = 0
    $failed = 0
    $failures = [System.Collections.Generic.List[string]]::new()
    $xunitProjects = Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj'
    foreach ($project in $xunitProjects) {
        $trxName = "$($project.BaseName).trx"
        & dotnet test $project.FullName -c $Configuration --nologo --blame-hang-timeout 5m --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=minimal' --results-directory $testResults
        $trx = Join-Path $testResults $trxName
        if (-not (Test-Path -LiteralPath $trx)) {
            throw "xunit project $($project.Name) produced no results (exit code $LASTEXITCODE)."
        }
        $count = Get-TrxCount $trx
        if ($count.NotRun -gt 0) {
            # A skipped test is a test that did not run; it counts as failed rather than vanishing.
            Write-Warning "$($project.BaseName): $($count.NotRun) test(s) did not run."
        }
        $passed += $count.Passed
        $failed += $count.Failed + $count.NotRun
        $count.Failures | ForEach-Object { $failures.Add("xunit $_") }
        Write-Host "$($project.BaseName): $($count.Passed) passed, $($count.Failed) failed"
    }

    # Pester runs in a child process so the module under test is imported fresh, as a user would.
    # Its counts come back through a file; its console output goes straight to ours.
    $countsFile = Join-Path $testResults 'pester-counts.json'
    $pesterScript = {
        param($PesterManifest, $TestsPath, $ModulePath, $ResultPath, $ToolPackages, $CountsFile, $Repository, $FakeApi)
        $ErrorActionPreference = 'Stop'
        Import-Module $PesterManifest
        $env:CLUSTEREXPOSE_MODULE = $ModulePath
        $env:CLUSTEREXPOSE_TOOLS = $ToolPackages
        $env:CLUSTEREXPOSE_REPOSITORY = $Repository
        $env:CLUSTEREXPOSE_FAKE_API = $FakeApi
        $config = New-PesterConfiguration
        $config.Run.Path = $TestsPath
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'Detailed'
        $config.TestResult.Enabled = $true
        $config.TestResult.OutputPath = $ResultPath
        $result = Invoke-Pester -Configuration $config
        # Skipped and not-run tests count as failed: a test that did not run proved nothing.
        $notPassed = $result.FailedCount + $result.SkippedCount + $result.NotRunCount + $result.FailedBlocksCount + $result.FailedContainersCount
        $failures = @($result.Failed + $result.Skipped + $result.NotRun | ForEach-Object {
                "$($_.ExpandedPath): $((([string] $_.ErrorRecord) -split "`n" | Select-Object -First 3) -join ' | ')"
            }) + @($result.FailedBlocks + $result.FailedContainers | ForEach-Object { "$($_.Name)$($_.Item): block or file failed" })
        @{ Passed = $result.PassedCount; Failed = $notPassed; Failures = $failures } | ConvertTo-Json | Set-Content -LiteralPath $CountsFile
    }
    $pwsh = Join-Path $PSHOME 'pwsh'
    $arguments = @($pesterManifest, (Join-Path $root 'tests/Pester'), (Join-Path $staging 'ClusterExpose.psd1'), (Join-Path $testResults 'pester.xml'), $toolPackages, $countsFile, $repository, (Join-Path $fakeApi 'ClusterExpose.FakeKubeApi.dll')) |
        ForEach-Object { "'" + $_.Replace("'", "''") + "'" }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes("& { $pesterScript } $($arguments -join ' ')"))
    & $pwsh -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded
    if (-not (Test-Path -LiteralPath $countsFile)) {
        throw "Pester did not report its counts; it failed before it finished (exit code $LASTEXITCODE)."
    }
    $pesterCounts = Get-Content -Raw -LiteralPath $countsFile | ConvertFrom-Json
    $passed += [int] $pesterCounts.Passed
    $failed += [int] $pesterCounts.Failed
    Write-Host "Pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed"
    $pesterCounts.Failures | Where-Object { $_ } | ForEach-Object { $failures.Add("Pester $_") }
    if ($failures.Count -gt 0) {
        Write-Host 'Did not pass:'
        $failures | ForEach-Object { Write-Host "  $_" }
    }

    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) {
        exit 1
    }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Join-Path $PSHOME 'pwsh'
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build/Demo.ps1') -ModulePath (Join-Path $staging 'ClusterExpose.psd1') -OutputDirectory (Join-Path $out 'demo')
    if ($LASTEXITCODE -ne 0) {
        throw "The demo failed with exit code $LASTEXITCODE."
    }
}

function Invoke-Package([switch] $NoBuild) {
    if (-not $NoBuild) {
        Invoke-Build
    }
    Remove-Item -Recurse -Force -ErrorAction Ignore $repository
    $null = New-Item -ItemType Directory -Force $repository
    $name = "ClusterExposeBuild-$PID"
    $null = Register-PSResourceRepository -Name $name -Uri $repository -Trusted
    try {
        $null = Publish-PSResource -Path $staging -Repository $name -SkipDependenciesCheck
    }
    finally {
        $null = Unregister-PSResourceRepository -Name $name
    }
    Get-ChildItem $repository -Filter '*.nupkg' | ForEach-Object { Write-Host "Wrote $($_.FullName)" }
}

# Import-Module in a fresh process, and the first command that loads the engine: medians of 5.
function Measure-Import {
    Invoke-Build
    $pwsh = Join-Path $PSHOME 'pwsh'
    $module = Join-Path $staging 'ClusterExpose.psd1'
    $script = "`$i = (Measure-Command { Import-Module '$module' }).TotalMilliseconds; `$f = (Measure-Command { New-ExposedHost k65 kl.example.top 10.21.22.65 | ConvertTo-ExposeManifest }).TotalMilliseconds; '{0} {1}' -f `$i, `$f"
    $runs = 1..5 | ForEach-Object { , ([double[]]((& $pwsh -NoProfile -NonInteractive -Command $script) -split ' ')) }
    $import = ($runs | ForEach-Object { $_[0] } | Sort-Object)[2]
    $first = ($runs | ForEach-Object { $_[1] } | Sort-Object)[2]
    Write-Host ("Import-Module ClusterExpose: median {0:0.0} ms; first command loading the engine: median {1:0.0} ms" -f $import, $first)
}

# The release notes come from one source, CHANGELOG.md: its section for this version goes into the
# staged manifest's ReleaseNotes (and so into the package the Gallery shows).
function Get-ReleaseNotes {
    $changelog = Get-Content -Raw (Join-Path $root 'CHANGELOG.md')
    $section = [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($version))\b[^\n]*\n(.*?)(?=^## |\z)")
    if (-not $section.Success) {
        throw "CHANGELOG.md has no section for $version."
    }
    $section.Groups[1].Value.Trim()
}

function Set-ReleaseNotes([string] $ManifestPath) {
    $notes = (Get-ReleaseNotes) -replace "'", "''"
    $text = Get-Content -Raw $ManifestPath
    $updated = [regex]::Replace($text, "(?m)^(\s*ReleaseNotes\s*=\s*)'(?:[^']|'')*'", { param($m) $m.Groups[1].Value + "'" + $notes + "'" })
    if ($updated -eq $text) {
        throw "No ReleaseNotes entry to fill in $ManifestPath."
    }
    Set-Content -LiteralPath $ManifestPath -Value $updated -NoNewline
}

# The module image: deploy/Dockerfile with the staged module beside it. Without docker or podman the
# context is still staged, so any OCI builder (buildah, kaniko) can build it.
function Invoke-Image {
    Invoke-Build
    $context = Join-Path $out 'image'
    Remove-Item -Recurse -Force -ErrorAction Ignore $context
    $null = New-Item -ItemType Directory -Path $context
    Copy-Item (Join-Path $root 'deploy/Dockerfile') $context
    Copy-Item $staging (Join-Path $context 'ClusterExpose') -Recurse
    $tag = "clusterexpose-module:$version"
    $builder = @('docker', 'podman') | Where-Object { Get-Command $_ -CommandType Application -ErrorAction Ignore } | Select-Object -First 1
    if (-not $builder) {
        throw "Neither docker nor podman is installed. The build context is staged in $context; build it with any OCI image builder, e.g. 'buildah bud --build-arg VERSION=$version -t $tag $context'."
    }

    & $builder build --build-arg "VERSION=$version" -t $tag $context
    if ($LASTEXITCODE -ne 0) {
        throw "$builder build failed with exit code $LASTEXITCODE (is its daemon running, and can it pull busybox?). The build context stays staged in $context for another OCI image builder."
    }

    Write-Host "Built $tag. Push it where your cluster pulls from, then: ConvertTo-SniProxyManifest -ModuleImage <registry>/$tag"
}

function Invoke-Bench {
    Measure-Import
    Install-DebianPackages -Commands haproxy, nginx, sniproxy, taskset -Packages haproxy, nginx, libnginx-mod-stream, sniproxy, util-linux
    $project = Join-Path $root 'bench/ClusterExpose.Bench/ClusterExpose.Bench.csproj'
    $benchOut = Join-Path $out 'bench'
    Invoke-DotNet build $project -c Release --nologo -v quiet -o (Join-Path $benchOut 'bin')
    & dotnet (Join-Path $benchOut 'bin/ClusterExpose.Bench.dll') run --rounds $Rounds --out $benchOut --pwsh (Join-Path $PSHOME 'pwsh') --module (Join-Path $staging 'ClusterExpose.psd1') | ForEach-Object {
        if ($_ -match '^progress (\d+)/(\d+) (.*)$') {
            Write-Progress -Activity 'Benchmarks' -Status $Matches[3] -PercentComplete ([int] $Matches[1] * 100 / [int] $Matches[2])
            Write-Host $Matches[3]
        }
        else {
            Write-Host $_
        }
    }
    Write-Progress -Activity 'Benchmarks' -Completed
    if ($LASTEXITCODE -ne 0) {
        throw "The benchmark failed with exit code $LASTEXITCODE."
    }

    Write-Host "Results: $(Join-Path $benchOut 'results.md')"
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Bench' { Invoke-Bench }
    'Image' { Invoke-Image }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Clean' { Remove-Item -Recurse -Force -ErrorAction Ignore $out }
}
