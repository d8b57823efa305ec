# Start-SniProxy -Wait as operators run it under systemd or in a pod: a pwsh of its own, its events
# on standard error (text or JSON, one line each), SIGTERM sent with kill as systemd and the kubelet
# send it. The backends are on 127.0.0.1: one port that refuses, and a source that sends a byte every
# 100 ms for as long as it is told, so a transfer can be in flight when the signal comes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
    Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
public sealed class HeadlessTestSlowSource
{
    private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
    private readonly int bytes;
    public HeadlessTestSlowSource(int bytes) { this.bytes = bytes; listener.Start(); _ = Loop(); }
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public void Stop() => listener.Stop();
    private async Task Loop()
    {
        while (true)
        {
            Socket socket;
            try { socket = await listener.AcceptSocketAsync(); } catch { return; }
            _ = Task.Run(async () =>
            {
                try
                {
                    for (int i = 0; i < bytes; i++) { await socket.SendAsync(new ArraySegment<byte>(new byte[] { 1 }), SocketFlags.None); await Task.Delay(100); }
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch { }
                finally { socket.Dispose(); }
            });
        }
    }

    // Reads until the other side ends; the count of bytes, or -1 - count when it ended with a reset.
    public static async Task<long> ReadAllAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var buffer = new byte[64];
        long total = 0;
        try
        {
            int read;
            while ((read = await client.GetStream().ReadAsync(buffer, 0, buffer.Length)) > 0) { total += read; }
            return total;
        }
        catch (System.IO.IOException) { return -1 - total; }
    }
}
'@

    # A forward on a public port of its own to a target port, as a hand-written routes file.
    function New-RoutesFile([string] $Path, [int] $PublicPort, [int] $TargetPort) {
        Set-Content -LiteralPath $Path -Value @"
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: data, namespace: default}
spec:
  entryPoints: [data]
  routes:
    - match: HostSNI(``*``)
      services: [{name: data, port: 9000}]
---
apiVersion: v1
kind: Service
metadata:
  name: data
  namespace: default
  annotations: {clusterexpose.io/public-ports: "tcp=$PublicPort"}
spec:
  ports: [{name: data, port: 9000}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: data-ipv4
  namespace: default
  labels: {kubernetes.io/service-name: data}
addressType: IPv4
endpoints: [{addresses: [127.0.0.1]}]
ports: [{name: data, port: $TargetPort}]
"@
    }

    # The proxy in a pwsh of its own, headless, its standard error in a file.
    $child = Join-Path $TestDrive 'headless.ps1'
    Set-Content -LiteralPath $child -Value @'
param($Module, $Routes, $Format, $DrainSec)
Import-Module $Module
Start-SniProxy -Path $Routes -Watch -Wait -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -LogFormat $Format -DrainTimeoutSec $DrainSec -AccessLog
'@
    function Start-HeadlessProxy([string] $Routes, [string] $Format, [int] $DrainSec) {
        $id = [guid]::NewGuid().ToString('N')
        $errors = Join-Path $TestDrive "stderr-$id.txt"
        $process = Start-Process (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-File', $child, $env:CLUSTEREXPOSE_MODULE, $Routes, $Format, $DrainSec -PassThru `
            -RedirectStandardError $errors -RedirectStandardOutput (Join-Path $TestDrive "stdout-$id.txt")
        [pscustomobject]@{ Process = $process; Errors = $errors }
    }

    # Everything written so far, as one string, once a line matches (or the proxy ended, or 30 s
    # passed: the caller's assertion then fails showing what was written).
    function Wait-Line($Proxy, [string] $Pattern) {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ([DateTime]::UtcNow -lt $deadline) {
            $lines = @(if (Test-Path $Proxy.Errors) { Get-Content -LiteralPath $Proxy.Errors })
            if ($lines -match $Pattern -or $Proxy.Process.HasExited) { return $lines -join "`n" }
            Start-Sleep -Milliseconds 100
        }
        (Get-Content -LiteralPath $Proxy.Errors) -join "`n"
    }

    function Send-Signal($Proxy, [string] $Signal = 'TERM') {
        & kill "-$Signal" $Proxy.Process.Id
    }

    function Wait-Exit($Proxy) {
        if (-not $Proxy.Process.WaitForExit(30000)) {
            $Proxy.Process.Kill()
            throw "The headless proxy did not exit: $((Get-Content -Raw $Proxy.Errors))"
        }
        $Proxy.Process.ExitCode
    }
}

Describe 'Start-SniProxy -Wait, headless' {
    It 'writes its events to standard error as <Format>: start, a refused backend, a rejected reload, the drain and the stop' -ForEach @(
        @{ Format = 'Text'; Started = '\[1 ProxyStarted\] Proxy \d+ started with 1 routes \(ClusterExpose \d+\.\d+\.\d+\)'; Refused = '\[12 BackendConnectFailed\] Route default/data could not reach 127\.0\.0\.1:'
            Rejected = '\[21 ReloadRejected\] .*routes-Text\.yaml'; Stopped = '\[2 ProxyStopped\] Proxy \d+ stopped: 1 connections'
            Access = '\[30 ConnectionFinished\] 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - default/data -> - in=0 out=0 [\d.]+ms rejected:BackendUnavailable' }
        @{ Format = 'Json'; Started = '"event":"ProxyStarted"'; Refused = '"event":"BackendConnectFailed"'; Rejected = '"event":"ReloadRejected"'; Stopped = '"event":"ProxyStopped"'
            Access = '"event":"ConnectionFinished".*"route":"default/data".*"ending":"rejected:BackendUnavailable"' }
    ) {
        $public = Get-FreePort
        $routes = Join-Path $TestDrive "routes-$Format.yaml"
        New-RoutesFile $routes $public (Get-FreePort)
        $proxy = Start-HeadlessProxy $routes $Format 5
        try {
            Wait-Line $proxy $Started | Should -Match $Started

            # The target port refuses: the client is closed and the failure is said, and the access log has the connection.
            $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $public)
            Wait-Line $proxy $Refused | Should -Match $Refused
            Wait-Line $proxy $Access | Should -Match $Access
            $client.Dispose()

            # A routes file that is not YAML: refused, said with the file, the old routes keep serving.
            Set-Content -LiteralPath $routes -Value 'kind: ['
            Wait-Line $proxy $Rejected | Should -Match $Rejected

            Send-Signal $proxy
            Wait-Exit $proxy | Should -Be 0
            $lines = @(Get-Content -LiteralPath $proxy.Errors)
            $all = $lines -join "`n"
            $all | Should -Match $Stopped
            $all | Should -Match $(if ($Format -eq 'Json') { '"event":"DrainStarted"' } else { '\[5 DrainStarted\]' })
            $all | Should -Match $(if ($Format -eq 'Json') { '"event":"DrainFinished"' } else { '\[6 DrainFinished\]' })
            if ($Format -eq 'Json') {
                foreach ($line in $lines) {
                    $event = $line | ConvertFrom-Json
                    $event.time | Should -Not -BeNullOrEmpty
                    $event.level | Should -BeIn @('Information', 'Warning', 'Error')
                    $event.eventId | Should -BeGreaterThan 0
                }
                ($lines | ConvertFrom-Json | Where-Object event -EQ 'ProxyStopped').connections | Should -Be 1
            }
        }
        finally {
            if (-not $proxy.Process.HasExited) { $proxy.Process.Kill() }
        }
    }

    It 'lets a transfer in flight finish within the drain after SIGTERM, then exits 0' {
        $source = [HeadlessTestSlowSource]::new(20)   # 2 s of bytes
        $public = Get-FreePort
        $routes = Join-Path $TestDrive 'routes-finish.yaml'
        New-RoutesFile $routes $public $source.Port
        $proxy = Start-HeadlessProxy $routes 'Text' 30
        try {
            $null = Wait-Line $proxy 'ProxyStarted'
            $transfer = [HeadlessTestSlowSource]::ReadAllAsync($public)
            Start-Sleep -Milliseconds 300
            Send-Signal $proxy
            $transfer.Wait(30000) | Should -BeTrue
            $transfer.Result | Should -Be 20
            Wait-Exit $proxy | Should -Be 0
            $written = Get-Content -Raw -LiteralPath $proxy.Errors
            $written | Should -Match '\[6 DrainFinished\] Drain over; 0 connections still open were reset'
            $written | Should -Match '\[30 ConnectionFinished\] 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - default/data -> 127\.0\.0\.1:\d+ in=0 out=20 [\d.]+ms closed'
        }
        finally {
            $source.Stop()
            if (-not $proxy.Process.HasExited) { $proxy.Process.Kill() }
        }
    }

    It 'resets a transfer longer than the drain, and a second signal ends the drain at once' -ForEach @(
        @{ Case = 'drain over'; DrainSec = 1; Signals = 1 }
        @{ Case = 'second signal'; DrainSec = 600; Signals = 2 }
    ) {
        $source = [HeadlessTestSlowSource]::new(6000)   # 10 minutes of bytes
        $public = Get-FreePort
        $routes = Join-Path $TestDrive "routes-$($Signals).yaml"
        New-RoutesFile $routes $public $source.Port
        $proxy = Start-HeadlessProxy $routes 'Text' $DrainSec
        try {
            $null = Wait-Line $proxy 'ProxyStarted'
            $transfer = [HeadlessTestSlowSource]::ReadAllAsync($public)
            Start-Sleep -Milliseconds 300
            Send-Signal $proxy
            $null = Wait-Line $proxy 'DrainStarted'
            if ($Signals -eq 2) { Send-Signal $proxy }
            Wait-Exit $proxy | Should -Be 0
            $transfer.Wait(30000) | Should -BeTrue
            $transfer.Result | Should -BeLessThan 0 -Because 'the transfer was cut by a reset, not finished'
            $written = Get-Content -Raw -LiteralPath $proxy.Errors
            $written | Should -Match '\[6 DrainFinished\] Drain over; 1 connections still open were reset'
            $written | Should -Match '\[30 ConnectionFinished\] .* default/data -> 127\.0\.0\.1:\d+ in=0 out=\d+ [\d.]+ms drained'
        }
        finally {
            $source.Stop()
            if (-not $proxy.Process.HasExited) { $proxy.Process.Kill() }
        }
    }
}
