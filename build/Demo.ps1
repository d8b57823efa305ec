<#
.SYNOPSIS
    The ClusterExpose scenario on its embedded default: no cluster and no network needed.
.DESCRIPTION
    The private cluster's ingress answers on 10.21.22.65, reachable from the cloud cluster's nodes
    through a private network. kl.example.top and every name one label below it go there over HTTP
    (Host header) and HTTPS (SNI, TLS passthrough); PostgreSQL on 10.21.22.70 is forwarded by port.
    The manifests are written for every flavor to the output directory and read back to prove they
    describe the same exposures.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$null = New-Item -ItemType Directory -Force $OutputDirectory

Write-Host "`nThe scenario: publish kl.example.top (and *.kl.example.top) and PostgreSQL from the home cluster." -ForegroundColor Cyan
$flavors = 'TraefikV3', 'TraefikV2', 'GatewayApi'
$summary = foreach ($flavor in $flavors) {
    $set = New-ExposedHost -Name k65 -Hostname kl.example.top -IncludeSubdomains -TargetAddress 10.21.22.65 -Flavor $flavor |
        Add-TcpForward -Name postgres -Port 5432 -TargetAddress 10.21.22.70 -Flavor $flavor
    if ($flavor -eq 'TraefikV3') {
        $set | Where-Object { $_ -is [ClusterExpose.ExposedHost] } | Format-Table | Out-String | Write-Host
        $set | Where-Object { $_ -is [ClusterExpose.TcpForward] } | Format-Table | Out-String | Write-Host
    }

    $path = Join-Path $OutputDirectory "$($flavor.ToLowerInvariant()).yaml"
    $set | Export-ExposeManifest -Path $path -Force
    $kinds = (Get-Content -Raw $path) -split "(?m)^---\s*$" |
        ForEach-Object { if ($_ -match '(?m)^kind:\s*(\S+)') { $Matches[1] } }
    $readBack = @(Import-ExposeManifest -Path $path)
    $same = $readBack.Count -eq $set.Count -and -not ($set | Where-Object { $item = $_; -not ($readBack | Where-Object { $_.Equals($item) }) })
    [pscustomobject]@{
        Flavor    = $flavor
        RoundTrip = if ($same) { 'equal' } else { 'DIFFERENT' }
        File      = [IO.Path]::GetRelativePath((Get-Location).Path, $path)
        Objects   = ($kinds | Group-Object | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
    }
}

$summary | Format-Table -Wrap | Out-String | Write-Host
Write-Host 'The Traefik v3 routes:' -ForegroundColor Cyan
Get-Content (Join-Path $OutputDirectory 'traefikv3.yaml') | Select-String -Pattern '^\s+- match:|^\s+match:' | ForEach-Object { Write-Host $_.Line.Trim() }
if ($summary.RoundTrip -contains 'DIFFERENT') {
    throw 'A flavor did not read back to the model it was written from.'
}

Write-Host "`nWhere the names go, as Traefik v3 decides it (Test-SniRoute over the written manifest):" -ForegroundColor Cyan
$v3 = Join-Path $OutputDirectory 'traefikv3.yaml'
Test-SniRoute -Path $v3 -Hostname kl.example.top, a.kl.example.top, k.example.top, akl.example.top, a.b.kl.example.top |
    Format-Table | Out-String | Write-Host
# With nothing to report, -Lint says so itself in one line.
$findings = @(Test-SniRoute -Lint -Path $v3)
if ($findings.Count) { Write-Host "Lint:$($findings | Format-Table | Out-String)" }
Write-Host "`nApply with: kubectl apply --server-side -f $([IO.Path]::GetRelativePath((Get-Location).Path, (Join-Path $OutputDirectory 'traefikv3.yaml')))" -ForegroundColor Cyan

# The proxy at work, on 127.0.0.1: two TLS backends (certificates made here) and one HTTP backend,
# each answering with its own name; real TLS connections by SNI and HTTP requests by Host go
# through Start-SniProxy, and each answer says which backend it reached.
Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
public sealed class DemoBackend
{
    private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
    private readonly string name;
    private readonly X509Certificate2 certificate;
    public DemoBackend(string name, string dnsName, bool tls)
    {
        this.name = name;
        if (tls)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            san.AddDnsName("*." + dnsName);
            request.CertificateExtensions.Add(san.Build());
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90));
            certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        }
        listener.Start();
        _ = Loop();
    }
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public void Stop() => listener.Stop();
    // The demo's certificate as a PEM file: the root Test-Exposure is told to trust.
    public void SaveCertificate(string path) => System.IO.File.WriteAllText(path, certificate.ExportCertificatePem());
    private async Task Loop()
    {
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); } catch { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        System.IO.Stream stream = client.GetStream();
                        if (certificate != null)
                        {
                            var ssl = new SslStream(stream);
                            await ssl.AuthenticateAsServerAsync(certificate);
                            stream = ssl;
                        }
                        var buffer = new byte[4096];
                        int read = await stream.ReadAsync(buffer, 0, buffer.Length);
                        string request = Encoding.ASCII.GetString(buffer, 0, read);
                        int at = request.IndexOf("\nHost: ", StringComparison.OrdinalIgnoreCase);
                        string host = at < 0 ? "?" : request.Substring(at + 7).Split('\r')[0];
                        string body = name + " answered for " + host;
                        byte[] reply = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: " + body.Length + "\r\nConnection: close\r\n\r\n" + body);
                        await stream.WriteAsync(reply, 0, reply.Length);
                    }
                    catch { }
                }
            });
        }
    }
    // One request over TLS with this SNI (the demo's certificates are its own, so any is accepted), or in clear.
    public static string Ask(int port, string hostname, bool tls)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        System.IO.Stream stream = client.GetStream();
        if (tls)
        {
            var ssl = new SslStream(stream, false, (_, _, _, _) => true);
            ssl.AuthenticateAsClient(hostname);
            stream = ssl;
        }
        byte[] request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: " + hostname + "\r\nConnection: close\r\n\r\n");
        stream.Write(request, 0, request.Length);
        using var reader = new System.IO.StreamReader(stream);
        string response = reader.ReadToEnd();
        return response.Substring(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4);
    }
}
// A DNS server on 127.0.0.1 for the demo's names: every name under example.top is 127.0.0.1 (A), and has no AAAA.
public sealed class DemoDns
{
    private readonly UdpClient socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
    public DemoDns() { _ = Loop(); }
    public string Endpoint => ((IPEndPoint)socket.Client.LocalEndPoint).ToString();
    public void Stop() => socket.Dispose();
    private async Task Loop()
    {
        while (true)
        {
            UdpReceiveResult received;
            try { received = await socket.ReceiveAsync(); } catch { return; }
            byte[] q = received.Buffer;
            int at = 12;
            while (at < q.Length && q[at] != 0) { at += q[at] + 1; }
            if (at + 4 >= q.Length) { continue; }
            int type = (q[at + 1] << 8) | q[at + 2];
            bool answer = type == 1;
            var r = new System.Collections.Generic.List<byte>();
            r.AddRange(new[] { q[0], q[1], (byte)0x84, (byte)0x00, (byte)0, (byte)1, (byte)0, (byte)(answer ? 1 : 0), (byte)0, (byte)0, (byte)0, (byte)0 });
            for (int i = 12; i < at + 5; i++) { r.Add(q[i]); }
            if (answer) { r.AddRange(new byte[] { 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1 }); }
            try { await socket.SendAsync(r.ToArray(), r.Count, received.RemoteEndPoint); } catch { return; }
        }
    }
}
'@

Write-Host "`nThe proxy at work on 127.0.0.1 (Start-SniProxy, no Traefik):" -ForegroundColor Cyan
$homeTls = [DemoBackend]::new('home', 'kl.example.top', $true)
$nasTls = [DemoBackend]::new('nas', 'nas.example.top', $true)
$web = [DemoBackend]::new('web', 'kl.example.top', $false)
$proxy = $null
try {
    $routes = @(
        New-ExposedHost home kl.example.top 127.0.0.1 -IncludeSubdomains -TargetHttpPort $web.Port -TargetHttpsPort $homeTls.Port
        New-ExposedHost nas nas.example.top 127.0.0.1 -TargetHttpPort $web.Port -TargetHttpsPort $nasTls.Port
    )
    $proxy = $routes | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
    $httpsPort = [Net.IPEndPoint]::Parse(($proxy.Listeners | Where-Object Kind -EQ Tls).Endpoint).Port
    $httpPort = [Net.IPEndPoint]::Parse(($proxy.Listeners | Where-Object Kind -EQ Http).Endpoint).Port
    $answers = foreach ($ask in @(
            @{ Name = 'kl.example.top'; Tls = $true }, @{ Name = 'a.kl.example.top'; Tls = $true }, @{ Name = 'nas.example.top'; Tls = $true }
            @{ Name = 'kl.example.top'; Tls = $false }, @{ Name = 'nas.example.top'; Tls = $false })) {
        $port = if ($ask.Tls) { $httpsPort } else { $httpPort }
        [pscustomobject]@{ Sent = $(if ($ask.Tls) { "TLS, SNI $($ask.Name)" } else { "HTTP, Host $($ask.Name)" }); Answer = [DemoBackend]::Ask($port, $ask.Name, $ask.Tls) }
    }
    $answers | Format-Table -AutoSize | Out-String | Write-Host
    if (@($answers | Where-Object { $_.Answer -notmatch '^(home|nas|web) answered' }).Count -gt 0 -or $answers[2].Answer -notmatch '^nas' -or $answers[1].Answer -notmatch '^home') {
        throw 'A connection through the proxy did not reach the backend its name routes to.'
    }
    Get-SniProxy -Id $proxy.Id | Select-Object -ExpandProperty Routes | Format-Table Router, Backend, TotalConnections, BytesFromClients, BytesToClients | Out-String | Write-Host

    # From the outside, hop by hop, as a user checks a published site: DNS (a DNS server of the demo's
    # own), the routes, the certificate each name gets (the demo's certificates are the trusted roots)
    # and the ACME HTTP-01 path, all through the proxy above.
    Write-Host 'Test-Exposure against the proxy (DNS, route, certificate, HTTP-01 path):' -ForegroundColor Cyan
    $dns = [DemoDns]::new()
    $roots = foreach ($backend in $homeTls, $nasTls) { $file = Join-Path $OutputDirectory "demo-root-$($backend.Port).pem"; $backend.SaveCertificate($file); $file }
    $checks = $routes | Test-Exposure -PublicAddress 127.0.0.1 -HttpsPort $httpsPort -HttpPort $httpPort -DnsServer $dns.Endpoint -TrustedRootPath $roots -TimeoutSec 5
    $checks | Format-Table | Out-String | Write-Host
    $dns.Stop()
    if (@($checks | Where-Object Status -NE Ok).Count -gt 0) {
        throw "Test-Exposure found a broken hop: $(($checks | Where-Object Status -NE Ok | ForEach-Object { "$($_.Name) $($_.Protocol): $($_.Findings -join '; ')" }) -join ' | ')"
    }
}
finally {
    if ($proxy) { $null = Stop-SniProxy -Id $proxy.Id -DrainTimeoutSec 1 }
    $homeTls.Stop(); $nasTls.Stop(); $web.Stop()
}
