# RELIABILITY row 16: when file descriptors run out, accepting backs off (5 ms doubling to 1 s)
# instead of spinning, nothing crashes, and service resumes once descriptors are free again. The
# proxy runs in a pwsh of its own, which lowers its own descriptor limit (setrlimit) to a few above
# what it holds. The descriptors are used up by clients that connect to the TLS listener and send
# nothing: each holds one descriptor until its hello times out. Whether they are used up is told by
# the proxy's behaviour, not by counting: after each silent client a probe sends bytes that are not
# TLS, which the proxy answers at once by closing; a probe left unanswered sits in the backlog
# because accepting fails. (Counting the proxy's descriptors from outside is not exact: the runtime
# opens and closes some of its own, and finalizers close leaked ones, at moments of their choosing.)
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
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
}

Describe 'Running out of file descriptors' {
    It 'backs off, survives and serves again' {
        $echo = [FdTestEchoServer]::new()
        $folder = Join-Path $TestDrive 'fd'
        $null = New-Item -ItemType Directory $folder
        $port = Get-FreePort
        $child = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Module, $Port, $Target, $Folder, $Spare)
Import-Module $Module
Add-Type -TypeDefinition @"
using System.Runtime.InteropServices;
public static class DescriptorLimit
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit { public ulong Current; public ulong Maximum; }

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref ResourceLimit limit);

    private const int RlimitNofile = 7;

    /// <summary>Lowers both the soft and the hard limit; 0, or the errno.</summary>
    public static int Lower(ulong count)
    {
        var limit = new ResourceLimit { Current = count, Maximum = count };
        return setrlimit(RlimitNofile, ref limit) == 0 ? 0 : Marshal.GetLastWin32Error();
    }
}
"@
$routes = New-ExposedHost fdweb fd.example.test 127.0.0.1 | Add-TcpForward fd $Port 127.0.0.1 -TargetPort $Target
$proxy = $routes | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -HandshakeTimeoutSec 300
$tlsPort = [System.Net.IPEndPoint]::Parse(($proxy.Listeners | Where-Object Kind -EQ Tls).Endpoint).Port
# Everything the loop below and the proxy's failure path use is touched once now, while a
# descriptor is still to be had: standard error and output (with none left, the host ends the
# process when it must open them to write), and Get-SniProxy.
[Console]::Error.Flush()
[Console]::Out.Flush()
$null = Get-SniProxy -Id $proxy.Id
# This process's id as /proc numbers it (the same as $PID unless /proc belongs to another namespace).
$procId = [System.IO.FileInfo]::new('/proc/self').LinkTarget
# The fewest of several counts, less the descriptor that reads the folder.
$open = (1..5 | ForEach-Object { [System.IO.Directory]::GetFileSystemEntries('/proc/self/fd').Count - 1; Start-Sleep -Milliseconds 50 } | Measure-Object -Minimum).Minimum
$errno = [DescriptorLimit]::Lower($open + $Spare)
Set-Content (Join-Path $Folder ready) "$procId $($open + $Spare) $errno $tlsPort"
while (-not (Test-Path (Join-Path $Folder stop))) { Start-Sleep -Milliseconds 50 }
(Get-SniProxy -Id $proxy.Id).RecentEvents | Set-Content (Join-Path $Folder events)
(Get-SniProxy -Id $proxy.Id).State | Set-Content (Join-Path $Folder state)
'@
        # The child's output goes to files opened before it starts, so writing never needs a new descriptor,
        # and a child that dies says why in this test's failure.
        $childOut = Join-Path $TestDrive 'child.out'
        $childErr = Join-Path $TestDrive 'child.err'
        $process = Start-Process (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-File', $child, $env:CLUSTEREXPOSE_MODULE, $port, $echo.Port, $folder, 8 -PassThru -RedirectStandardOutput $childOut -RedirectStandardError $childErr
        function Assert-ChildRunning {
            if ($process.HasExited) {
                throw "The proxy's pwsh ended (exit code $($process.ExitCode)): $((Get-Content -Raw $childErr, $childOut) -join ' ')"
            }
        }
        function Get-ChildDescriptorCount {
            Assert-ChildRunning
            [System.IO.Directory]::GetFileSystemEntries("/proc/$procId/fd").Count
        }
        $clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path (Join-Path $folder ready)) -and -not $process.HasExited -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Assert-ChildRunning
            Test-Path (Join-Path $folder ready) | Should -BeTrue

            # Eight descriptors to spare, then accepting fails with EMFILE.
            $procId, $limit, $errno, $tlsPort = (Get-Content (Join-Path $folder ready)) -split ' '
            $errno | Should -Be '0' -Because 'setrlimit must lower the limit'
            # One silent client at a time, each followed by a probe, until a probe goes unanswered.
            $exhausted = $false
            while (-not $exhausted -and $clients.Count -lt 64) {
                Assert-ChildRunning
                $client = [System.Net.Sockets.TcpClient]::new()
                $client.Connect([System.Net.IPAddress]::Loopback, [int] $tlsPort)
                $clients.Add($client)
                $probe = [System.Net.Sockets.TcpClient]::new()
                $probe.Connect([System.Net.IPAddress]::Loopback, [int] $tlsPort)
                $probe.Client.ReceiveTimeout = 3000
                $probe.Client.Send([System.Text.Encoding]::ASCII.GetBytes("PROBE / HTTP/1.0`r`n`r`n")) | Out-Null
                try {
                    # An alert then the close, or the close alone: either way the proxy accepted it.
                    $null = $probe.Client.Receive([byte[]]::new(64))
                    $probe.Dispose()
                }
                catch [System.Net.Sockets.SocketException] {
                    # A reset is an answer too (the proxy closed with bytes unread).
                    if ($_.Exception.SocketErrorCode -ne [System.Net.Sockets.SocketError]::TimedOut) { $probe.Dispose(); continue }
                    # Unanswered for three seconds: it waits in the backlog, and stays there to be
                    # served once descriptors are free again.
                    $exhausted = $true
                    $clients.Add($probe)
                }
            }
            $exhausted | Should -BeTrue -Because "the clients must use up the descriptors (the proxy holds $(Get-ChildDescriptorCount) of $limit after $($clients.Count) clients)"
            # A few more in the backlog, so accepting is retried while they wait.
            foreach ($i in 1..4) {
                $client = [System.Net.Sockets.TcpClient]::new()
                $client.Connect([System.Net.IPAddress]::Loopback, [int] $tlsPort)
                $clients.Add($client)
            }
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
