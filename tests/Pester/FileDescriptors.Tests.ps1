# RELIABILITY row 16: when file descriptors run out, accepting backs off (5 ms doubling to 1 s)
# instead of spinning, nothing crashes, and service resumes once descriptors are free again. The
# proxy runs in a pwsh of its own whose descriptor limit is lowered from outside with prlimit.
BeforeAll {
    Add-Type -TypeDefinition @'
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
public sealed class FdTestEchoServer
{
    private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
    public FdTestEchoServer() { listener.Start(); _ = Loop(); }
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
                var buffer = new byte[1024];
                try { int read; while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0) { await socket.SendAsync(new System.ArraySegment<byte>(buffer, 0, read), SocketFlags.None); } }
                catch { }
                finally { socket.Dispose(); }
            });
        }
    }
}
'@
    function Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }
}

Describe 'Running out of file descriptors' {
    It 'backs off, survives and serves again' {
        $echo = [FdTestEchoServer]::new()
        $folder = Join-Path $TestDrive 'fd'
        $null = New-Item -ItemType Directory $folder
        $port = Get-FreePort
        $child = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Module, $Port, $Target, $Folder)
Import-Module $Module
$proxy = Add-TcpForward fd $Port 127.0.0.1 -TargetPort $Target | Start-SniProxy -ListenAddress 127.0.0.1
# Opens standard error now: with no descriptor left, writing any error would have to open it, and the
# host ends the process when it cannot. Nothing in the loop below needs a descriptor.
[Console]::Error.Flush()
[Console]::Out.Flush()
Set-Content (Join-Path $Folder ready) $PID
while (-not (Test-Path (Join-Path $Folder stop))) { Start-Sleep -Milliseconds 50 }
(Get-SniProxy -Id $proxy.Id).RecentEvents | Set-Content (Join-Path $Folder events)
(Get-SniProxy -Id $proxy.Id).State | Set-Content (Join-Path $Folder state)
'@
        $process = Start-Process (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-File', $child, $env:CLUSTEREXPOSE_MODULE, $port, $echo.Port, $folder -PassThru
        $clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path (Join-Path $folder ready)) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Test-Path (Join-Path $folder ready) | Should -BeTrue

            # Eight descriptors to spare: a few relays fit (two each), then accepting fails with EMFILE.
            # The margin leaves room for descriptors the runtime opens lazily after this count.
            # The fewest of several samples: a descriptor the child holds only for a moment must not count,
            # or the spare would be odd and a relay (two descriptors) could never use up the last one.
            $open = (1..5 | ForEach-Object { @(Get-ChildItem "/proc/$($process.Id)/fd").Count; Start-Sleep -Milliseconds 50 } | Measure-Object -Minimum).Minimum
            & prlimit --pid $process.Id "--nofile=$($open + 8):$($open + 8)"
            $LASTEXITCODE | Should -Be 0
            foreach ($i in 1..16) {
                $client = [System.Net.Sockets.TcpClient]::new()
                $client.Connect([System.Net.IPAddress]::Loopback, $port)
                $clients.Add($client)
            }
            # Hold the clients until the proxy has used every descriptor (watched from outside, since the
            # child cannot open a file to say so), however slow the machine; then accepting fails.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (@(Get-ChildItem "/proc/$($process.Id)/fd").Count -lt $open + 8 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            @(Get-ChildItem "/proc/$($process.Id)/fd").Count | Should -Be ($open + 8) -Because 'the clients must use up the descriptors'
            Start-Sleep -Milliseconds 500
            $clients | ForEach-Object Dispose
            $clients.Clear()

            # Descriptors are free again: a new connection is relayed.
            $reply = $null
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not $reply -and [DateTime]::UtcNow -lt $deadline) {
                try {
                    $client = [System.Net.Sockets.TcpClient]::new()
                    $client.ReceiveTimeout = 2000
                    $client.Connect([System.Net.IPAddress]::Loopback, $port)
                    $stream = $client.GetStream()
                    $stream.Write([byte[]](104, 105), 0, 2)
                    $buffer = [byte[]]::new(2)
                    if ($stream.Read($buffer, 0, 2) -eq 2) { $reply = [System.Text.Encoding]::ASCII.GetString($buffer) }
                }
                catch { Start-Sleep -Milliseconds 200 }
                finally { $client.Dispose() }
            }
            $reply | Should -Be 'hi'
        }
        finally {
            $clients | ForEach-Object Dispose
            Set-Content (Join-Path $folder stop) 'stop'
            $null = $process.WaitForExit(30000)
            $echo.Stop()
        }

        Get-Content (Join-Path $folder state) | Should -Be 'Running'
        $failures = @(Get-Content (Join-Path $folder events) | Where-Object { $_ -match 'AcceptFailed' })
        $failures.Count | Should -BeGreaterThan 0
        # Each failure waits at least 5 ms (doubling while failures repeat), so a second or two of exhaustion
        # gives at most a few hundred retries even when relays closing in between reset the back-off;
        # a spinning loop would fill the 200-event ring in milliseconds with nothing else in it.
        $failures.Count | Should -BeLessThan 150
        @(Get-Content (Join-Path $folder events)).Count | Should -BeGreaterThan $failures.Count
    }
}
