# Every PowerShell example of README.md and of the cmdlet help (docs/help/*.md) runs as written, in a
# fresh pwsh session against the staged module, in an empty folder. A page's blocks run in order in
# one session, as a reader would type them. Where an example names what cannot exist here, a local
# stand-in takes its place, the same for every page:
#   - the context 'cloud' of the kubeconfig (KUBECONFIG) is FakeKubeApi, the FAKE API server of
#     tests/FakeKubeApi on 127.0.0.1, holding ExposedHost k65 and TcpForwards pg and minecraft;
#   - kubectl is a function that checks the file it is asked to apply exists and holds Kubernetes objects;
#   - ./out/ClusterExpose is the staged module, ./cloud, ./legacy and ./gitops hold the manifests the
#     help pages read (./gitops is a git repository);
#   - $ConfirmPreference is None, as if the reader answered yes.
# The page says so right before each block that uses one, in an HTML comment
# `<!-- tests run this with: ... -->`, and the test holds it to that. A block that cannot run anywhere
# but a real deployment is marked `<!-- not run in tests: reason -->` instead; the test counts them so
# the list stays short.
BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    $pages = @(Get-Item (Join-Path $root 'README.md')) + @(Get-ChildItem (Join-Path $root 'docs/help') -Filter *.md | Sort-Object Name)
    $script:pageCases = foreach ($page in $pages) {
        $blocks = [System.Collections.Generic.List[object]]::new()
        $lines = Get-Content -LiteralPath $page.FullName
        $skip = $null
        $standIn = ''
        for ($i = 0; $i -lt $lines.Count; $i++) {
            if ($lines[$i] -match '^<!-- not run in tests: (.+) -->$') { $skip = $Matches[1]; continue }
            if ($lines[$i] -match '^<!-- tests run this with: (.+) -->$') { $standIn = $Matches[1]; continue }
            if ($lines[$i] -match '^```powershell') {
                $start = $i + 1
                $i++
                while ($i -lt $lines.Count -and $lines[$i] -ne '```') { $i++ }
                $blocks.Add([pscustomobject]@{ Line = $start; Code = ($lines[$start..($i - 1)] -join "`n"); Skip = $skip; StandIn = $standIn })
                $skip = $null
                $standIn = ''
                continue
            }
            if ($lines[$i].Trim()) { $skip = $null; $standIn = '' }
        }
        @{ Page = $page.Name; Path = $page.FullName; Blocks = $blocks.ToArray() }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'FakeApi.ps1')
    $script:moduleFolder = Split-Path $env:CLUSTEREXPOSE_MODULE
}

Describe 'Examples of <Page>' -ForEach $pageCases {
    It 'runs every example as written' {
        $Blocks | Should -Not -BeNullOrEmpty
        $folder = Join-Path $TestDrive ([IO.Path]::GetFileNameWithoutExtension($Page))
        $null = New-Item -ItemType Directory -Force (Join-Path $folder 'out')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'out/ClusterExpose') -Target $moduleFolder
        $fake = Start-FakeApi
        try {
            # The kubeconfig's one context is called 'cloud', as in the examples.
            $kubeConfig = Join-Path $folder 'kubeconfig'
            (Get-Content -Raw $fake.KubeConfig) -replace 'current-context: fake', 'current-context: cloud' -replace '(?m)^- name: fake\n  context:', "- name: cloud`n  context:" |
                Set-Content -LiteralPath $kubeConfig
            $prologue = @"
`$ErrorActionPreference = 'Stop'
`$ConfirmPreference = 'None'
`$ProgressPreference = 'SilentlyContinue'
`$PSNativeCommandUseErrorActionPreference = `$true
# Stand-in: a proxy an example starts listens on 127.0.0.1 only, as servers in tests must.
`$PSDefaultParameterValues['Start-SniProxy:ListenAddress'] = '127.0.0.1'
Set-Location -LiteralPath '$folder'
`$env:KUBECONFIG = '$kubeConfig'
if ('$Page' -ne 'README.md') { Import-Module ./out/ClusterExpose/ClusterExpose.psd1 }
function kubectl {
    # Stand-in: checks the file exists and holds Kubernetes objects; there is no cluster to apply it to.
    `$file = `$args[[array]::IndexOf(`$args, '-f') + 1]
    if (-not (Test-Path -LiteralPath `$file)) { throw "kubectl stand-in: no file `$file" }
    if ((Get-Content -Raw -LiteralPath `$file) -notmatch '(?m)^apiVersion: .+\n(?:.*\n)*?kind: ') { throw "kubectl stand-in: `$file holds no Kubernetes object" }
}
if ('$Page' -ne 'README.md') {
    `$null = New-Item -ItemType Directory ./cloud, ./legacy
    New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 | Export-ExposeManifest -Path ./cloud/published.yaml
    New-ExposedHost home nas.example.top 10.21.22.66 -Flavor TraefikV2 -Namespace edge | Export-ExposeManifest -Path ./legacy/home.yaml -LegacyApiGroup
    git init --quiet ./gitops
    New-ExposedHost home nas.example.top 10.21.22.66 | Export-ExposeManifest -Path ./gitops/home.yaml
    New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 | Add-TcpForward minecraft 25565 10.21.22.71 |
        Publish-ExposeResource -Context cloud
}
"@
            $script = [System.Text.StringBuilder]::new($prologue)
            foreach ($block in $Blocks | Where-Object { -not $_.Skip }) {
                $null = $script.AppendLine("try { . { $($block.Code)`n} | Out-Null } catch { Write-Output ('FAILED: example at line $($block.Line) of $($Page): ' + `$_); exit 1 }")
            }
            $file = Join-Path $folder 'examples.ps1'
            Set-Content -LiteralPath $file -Value $script.ToString()
            $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $file 2>&1
            $LASTEXITCODE | Should -Be 0 -Because (($output | Select-Object -Last 15) -join "`n")
        }
        finally {
            Stop-FakeApi $fake
        }
    }

    It 'says before each block which stand-ins it runs with' {
        foreach ($block in $Blocks | Where-Object { -not $_.Skip }) {
            $where = "the block at line $($block.Line) of $Page"
            if ($block.Code -match 'kubectl') { $block.StandIn | Should -Match 'kubectl' -Because $where }
            if ($block.Code -match '-Context cloud') { $block.StandIn | Should -Match 'fake API server' -Because $where }
            if ($block.Code -match 'Start-SniProxy') { $block.StandIn | Should -Match '127\.0\.0\.1' -Because $where }
        }
    }

    It 'marks only what cannot run here, and says why' {
        foreach ($block in $Blocks | Where-Object Skip) {
            $block.Skip.Length | Should -BeGreaterThan 10
        }
    }
}

Describe 'Examples that are not run' -ForEach @(@{ Marked = @($pageCases | ForEach-Object { $_.Blocks } | Where-Object Skip) }) {
    It 'are few: <Marked.Count>' {
        $Marked.Count | Should -BeLessOrEqual 6
    }
}
