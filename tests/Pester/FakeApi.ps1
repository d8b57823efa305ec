# Runs FakeKubeApi, the FAKE Kubernetes API server of tests/FakeKubeApi, as a process of its own on
# 127.0.0.1 (no cluster can run where the tests run), and talks to its test-only endpoints.
# Dot-sourced by the test files that need a cluster.

function Start-FakeApi([string] $Apis = 'TraefikV3,K3sHelm', [string] $Namespace) {
    $config = Join-Path $TestDrive "kubeconfig-$([guid]::NewGuid().ToString('N'))"
    $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in @($env:CLUSTEREXPOSE_FAKE_API, $Apis, $config) + @($Namespace | Where-Object { $_ })) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $line = $process.StandardOutput.ReadLine()
    $line | Should -Match '^ready https://127\.0\.0\.1:\d+/$'
    [pscustomobject]@{ Process = $process; KubeConfig = $config; Url = ($line -replace '^ready ', '').TrimEnd('/') }
}

function Stop-FakeApi($Fake) {
    $Fake.Process.StandardInput.Close()
    if (-not $Fake.Process.WaitForExit(10000)) { $Fake.Process.Kill() }
}

# The fake's own test endpoints (what it received, what it holds, objects made by "another tool").
function Invoke-Fake($Fake, [string] $Path, $Body, [string] $Query = '') {
    $uri = "$($Fake.Url)/_fake/$Path$Query"
    $answer = if ($null -ne $Body) {
        Invoke-RestMethod -Method Post -Uri $uri -Body ($Body | ConvertTo-Json -Depth 20 -Compress) -ContentType 'application/json' -SkipCertificateCheck
    }
    else {
        Invoke-RestMethod -Method Get -Uri $uri -SkipCertificateCheck -NoProxy
    }
    # Invoke-RestMethod returns a JSON array as one object; the callers filter its items.
    $answer | ForEach-Object { $_ }
}

