# Start-SniProxy, Get-SniProxy, Update-SniProxy and Stop-SniProxy as a user drives them: the
# lifecycle, -WhatIf, a real HTTP request through the proxy, and every error path by its id.
BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    . (Join-Path $PSScriptRoot 'Helpers.ps1')

    # An HTTP backend on 127.0.0.1 answering one request with its name and the Host it saw.
    function Start-HttpBackend([string] $Name) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $job = Start-ThreadJob -ArgumentList $listener, $Name -ScriptBlock {
            param($listener, $name)
            $client = $listener.AcceptTcpClient()
            $stream = $client.GetStream()
            $buffer = [byte[]]::new(8192)
            $read = $stream.Read($buffer, 0, $buffer.Length)
            $request = [System.Text.Encoding]::ASCII.GetString($buffer, 0, $read)
            $hostName = [regex]::Match($request, '(?im)^host:\s*(\S+)').Groups[1].Value
            $body = "$name $hostName"
            $reply = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 200 OK`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n`r`n$body")
            $stream.Write($reply, 0, $reply.Length)
            $client.Close()
            $listener.Stop()
        }
        [pscustomobject]@{ Port = $listener.LocalEndpoint.Port; Job = $job }
    }
}

Describe 'The lifecycle' {
    AfterEach {
        Get-SniProxy | Stop-SniProxy -DrainTimeoutSec 0
    }

    It 'starts in the background, lists, forwards HTTP by Host, updates and stops' {
        $backend = Start-HttpBackend home
        $set = New-ExposedHost k65 kl.example.top 127.0.0.1 -TargetHttpPort $backend.Port -TargetHttpsPort $backend.Port
        $proxy = $set | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        $proxy.State | Should -Be 'Running'
        $proxy.RouteCount | Should -Be 2
        $proxy.Listeners.Kind | Sort-Object | Should -Be @('Http', 'Tls')
        (Get-SniProxy).Id | Should -Contain $proxy.Id

        $httpPort = [System.Net.IPEndPoint]::Parse(($proxy.Listeners | Where-Object Kind -EQ Http).Endpoint).Port
        $answer = & curl -s --max-time 10 --resolve "kl.example.top:${httpPort}:127.0.0.1" "http://kl.example.top:$httpPort/"
        $answer | Should -Be "home kl.example.top:$httpPort"
        $backend.Job | Wait-Job -Timeout 10 | Remove-Job

        $info = Get-SniProxy -Id $proxy.Id
        ($info.Routes | Where-Object Router -EQ 'default/k65-http').TotalConnections | Should -Be 1
        $info | Out-String | Should -Match 'Http 127\.0\.0\.1'

        $forward = Add-TcpForward pg (Get-FreePort) 127.0.0.1 -TargetPort 5432
        $updated = @($set, $forward) | Update-SniProxy -Id $proxy.Id -PassThru
        $updated.RouteCount | Should -Be 3
        $updated.Listeners.Kind | Should -Contain 'Tcp'

        $stopped = Stop-SniProxy -Id $proxy.Id -DrainTimeoutSec 1 -PassThru
        $stopped.State | Should -Be 'Stopped'
        Get-SniProxy | Where-Object Id -EQ $proxy.Id | Should -BeNullOrEmpty
    }

    It 'says with -WhatIf what it would listen on, and listens on nothing' {
        $before = @(Get-SniProxy).Count
        $set = New-ExposedHost k65 kl.example.top 127.0.0.1
        $set | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -WhatIf
        @(Get-SniProxy).Count | Should -Be $before
    }

    It 'reads its routes from a manifest file' {
        $file = Join-Path $TestDrive 'routes.yaml'
        New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Export-ExposeManifest -Path $file
        $proxy = Start-SniProxy -Path $file -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -Watch
        $proxy.RouteCount | Should -Be 4   # HTTP and TLS, each an exact-name route and a wildcard route
        $proxy.WatchedPath | Should -Be $file
    }

    It 'keeps the old routes when an update does not build' {
        $proxy = New-ExposedHost k65 kl.example.top 127.0.0.1 | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        $result = Update-SniProxy -Id $proxy.Id -InputObject @() -PassThru -ErrorAction SilentlyContinue -ErrorVariable err
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'NoProxyRoutes,ClusterExpose.Commands.UpdateSniProxyCommand'
        (Get-SniProxy -Id $proxy.Id).RouteCount | Should -Be 2
        (Get-SniProxy -Id $proxy.Id).RecentEvents -join "`n" | Should -Match 'ReloadRejected'
    }

    It 'says with -WhatIf that an update does not build, without recording a rejected reload' {
        $proxy = New-ExposedHost k65 kl.example.top 127.0.0.1 | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        $null = Update-SniProxy -Id $proxy.Id -InputObject @() -WhatIf -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'NoProxyRoutes,ClusterExpose.Commands.UpdateSniProxyCommand'
        (Get-SniProxy -Id $proxy.Id).RecentEvents -join "`n" | Should -Not -Match 'ReloadRejected'
        $null = Update-SniProxy -Id $proxy.Id -InputObject @() -ErrorAction SilentlyContinue
        (Get-SniProxy -Id $proxy.Id).RecentEvents -join "`n" | Should -Match 'ReloadRejected'
    }
}

Describe 'Serving the routes of a cluster' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'FakeApi.ps1')
        # The FAKE API server of tests/FakeKubeApi (no cluster can run here), answering as the recorded kube-apiserver does.
        $fake = Start-FakeApi
    }
    AfterAll {
        Get-SniProxy | Stop-SniProxy -DrainTimeoutSec 0
        Stop-FakeApi $fake
    }

    It 'forwards by Host to the Service a hand-made IngressRoute names, where Test-SniRoute says it goes' {
        $backend = Start-HttpBackend blog
        # Objects another tool made: a rule the model cannot say (any depth), a Service and its EndpointSlice on 127.0.0.1.
        Invoke-Fake $fake 'seed' @{ apiVersion = 'traefik.io/v1alpha1'; kind = 'IngressRoute'; metadata = @{ name = 'blog'; namespace = 'default' }
            spec = @{ entryPoints = @('web'); routes = @(@{ match = 'Host(`blog.kl.test`) || HostRegexp(`^.+\.blog\.kl\.test$`)'; services = @(@{ name = 'blog'; port = 80 }) }) } } | Out-Null
        Invoke-Fake $fake 'seed' @{ apiVersion = 'v1'; kind = 'Service'; metadata = @{ name = 'blog'; namespace = 'default' }; spec = @{ ports = @(@{ name = 'http'; port = 80 }) } } | Out-Null
        Invoke-Fake $fake 'seed' @{ apiVersion = 'discovery.k8s.io/v1'; kind = 'EndpointSlice'; metadata = @{ name = 'blog-1'; namespace = 'default'; labels = @{ 'kubernetes.io/service-name' = 'blog' } }
            addressType = 'IPv4'; endpoints = @(@{ addresses = @('127.0.0.1') }); ports = @(@{ name = 'http'; port = $backend.Port }) } | Out-Null

        (Test-SniRoute -Hostname a.b.blog.kl.test -KubeConfig $fake.KubeConfig -EntryPoint web).Router | Should -Be 'default/blog'
        $proxy = Start-SniProxy -KubeConfig $fake.KubeConfig -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        $proxy.Routes.Router | Should -Be 'default/blog'
        $proxy.Routes.Backend | Should -Be "127.0.0.1:$($backend.Port)"

        $httpPort = [System.Net.IPEndPoint]::Parse(($proxy.Listeners | Where-Object Kind -EQ Http).Endpoint).Port
        $answer = & curl -s --max-time 10 --resolve "a.b.blog.kl.test:${httpPort}:127.0.0.1" "http://a.b.blog.kl.test:$httpPort/"
        $answer | Should -Be "blog a.b.blog.kl.test:$httpPort"
        $backend.Job | Wait-Job -Timeout 10 | Remove-Job
    }

    It 'refuses to start with a clear error when the cluster cannot be reached, and listens on nothing' {
        $before = @(Get-SniProxy).Count
        $config = Join-Path $TestDrive 'unreachable'
        (Get-Content $fake.KubeConfig -Raw) -replace 'https://127\.0\.0\.1:\d+', "https://127.0.0.1:$(Get-FreePort)" | Set-Content $config
        { Start-SniProxy -KubeConfig $config -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClusterUnreachable,ClusterExpose.Commands.StartSniProxyCommand'
        @(Get-SniProxy).Count | Should -Be $before
    }
}

Describe 'ConvertTo-SniProxyManifest' {
    It 'renders the proxy as a DaemonSet on host ports with its routes in a ConfigMap' {
        $yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 | ConvertTo-SniProxyManifest -Namespace edge
        $yaml | Should -Match '(?m)^kind: ConfigMap$'
        $yaml | Should -Match '(?m)^kind: DaemonSet$'
        $yaml | Should -Match '(?m)^\s+hostPort: 443$'
        $yaml | Should -Match '(?m)^\s+hostPort: 5432$'
        $yaml | Should -Match 'Start-SniProxy -Path /etc/clusterexpose/routes.yaml -Watch -Wait'
        $yaml | Should -Match '(?m)^  namespace: edge$'
    }

    It 'renders a pod that downloads nothing: an init container copies the module from the module image' {
        $yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 | ConvertTo-SniProxyManifest -ModuleImage registry.example.top/clusterexpose-module:9.9.9
        $yaml | Should -Not -Match 'Install-PSResource|Install-Module|Gallery'
        $yaml | Should -Match '(?m)^\s+initContainers:$'
        $yaml | Should -Match '(?m)^\s+image: registry\.example\.top/clusterexpose-module:9\.9\.9$'
        $yaml | Should -Match 'Import-Module /modules/ClusterExpose/ClusterExpose\.psd1'
        $yaml | Should -Match '(?m)^\s+emptyDir:$'
        $version = (Import-PowerShellDataFile $env:CLUSTEREXPOSE_MODULE).ModuleVersion
        New-ExposedHost k65 kl.example.top 10.21.22.65 | ConvertTo-SniProxyManifest | Should -Match "(?m)^\s+image: clusterexpose-module:$([regex]::Escape($version))$"
    }

    It 'runs the pod''s two commands as the kubelet would: the init container fills the volume, a plain pwsh imports the module from it and serves' {
        # The image's files are laid out as deploy/Dockerfile copies them; the pod's volumes are folders
        # here (paths mapped), and the pod's address is 127.0.0.1. Ports above 1024 keep it unprivileged.
        $http = Get-FreePort
        $https = Get-FreePort
        $metrics = Get-FreePort
        $set = New-ExposedHost k65 kl.example.top 10.21.22.65 -HttpPort $http -HttpsPort $https
        $yaml = $set | ConvertTo-SniProxyManifest -ModuleImage clusterexpose-module:test
        $dockerfile = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../deploy/Dockerfile')
        $imagePath = [regex]::Match($dockerfile, '(?m)^COPY ClusterExpose (\S+)$').Groups[1].Value
        $imagePath | Should -Not -BeNullOrEmpty
        $root = Join-Path $TestDrive 'pod'
        # Each of the pod's absolute paths (an image path or a volume's mount path) moved under $root.
        $map = { param([string] $text) [regex]::Replace($text, '(?<![\w./-])/(clusterexpose|modules|etc/clusterexpose)(?=/|\s|$)', { param($m) "$root/$(if ($m.Groups[1].Value -eq 'clusterexpose') { 'image/clusterexpose' } else { $m.Groups[1].Value })" }) }
        $null = New-Item -ItemType Directory -Force -Path (Split-Path (& $map $imagePath)), "$root/modules", "$root/etc/clusterexpose", "$root/empty-module-path", "$root/home"
        Copy-Item (Split-Path $env:CLUSTEREXPOSE_MODULE) (& $map $imagePath) -Recurse
        $set | ConvertTo-SniProxyManifest -As RoutesFile | Set-Content -LiteralPath "$root/etc/clusterexpose/routes.yaml"

        # The init container: its command exactly as rendered.
        $init = [regex]::Match($yaml, '(?ms)initContainers:\s*\n\s*- name: module\n.*?command:\n((?:\s*- \S+\n)+)').Groups[1].Value -split '\n' |
            Where-Object { $_ -match '- ' } | ForEach-Object { & $map ($_ -replace '^\s*- ', '') }
        $init[0] | Should -Be 'cp'
        & $init[0] $init[1..($init.Count - 1)]
        $LASTEXITCODE | Should -Be 0
        Test-Path "$root/modules/ClusterExpose/ClusterExpose.psd1" | Should -BeTrue

        # The proxy container: its script as rendered, in a pwsh that has no other way to find the module.
        $script = [regex]::Match($yaml, "(?m)^\s+- ('?\`$ErrorActionPreference.*)$").Groups[1].Value
        $script | Should -Not -BeNullOrEmpty
        if ($script.StartsWith("'")) { $script = $script.Substring(1, $script.Length - 2).Replace("''", "'") }
        $script = (& $map $script).Replace('-MetricsPort 9180 -MetricsAddress 0.0.0.0', "-MetricsPort $metrics -MetricsAddress 127.0.0.1 -ListenAddress 127.0.0.1")
        $script | Should -Match "Import-Module $([regex]::Escape($root))/modules/ClusterExpose/ClusterExpose\.psd1"
        # A home and module path of its own: the module cannot come from a user's or the machine's installation.
        $environment = @{ PSModulePath = "$root/empty-module-path"; HOME = "$root/home"; XDG_DATA_HOME = "$root/home/.local/share"; XDG_CONFIG_HOME = "$root/home/.config"
            DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS = '1'; DOTNET_ThreadPool_UnfairSemaphoreSpinLimit = '0'; DOTNET_GCgen0size = '0x100000'; POWERSHELL_TELEMETRY_OPTOUT = '1' }
        $errors = Join-Path $root 'stderr.txt'
        $pod = Start-Process (Join-Path $PSHOME 'pwsh') -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -Environment $environment -PassThru `
            -RedirectStandardError $errors -RedirectStandardOutput (Join-Path $root 'stdout.txt')
        try {
            $ready = $null
            foreach ($attempt in 1..300) {
                $ready = & curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics/readyz"
                if ($ready -eq '200' -or $pod.HasExited) { break }
                Start-Sleep -Milliseconds 100
            }
            $ready | Should -Be '200' -Because (Get-Content -Raw -LiteralPath $errors)
            & curl -s -o /dev/null -w '%{http_code}' -H 'Host: unknown.example.top' "http://127.0.0.1:$http/" | Should -Be '404'
            & kill -TERM $pod.Id
            $pod.WaitForExit(30000) | Should -BeTrue
            $pod.ExitCode | Should -Be 0
            $said = Get-Content -Raw -LiteralPath $errors
            $said | Should -Match '\[1 ProxyStarted\] Proxy \d+ started with 2 routes'
            $said | Should -Match '\[2 ProxyStopped\]'
        }
        finally {
            if (-not $pod.HasExited) { $pod.Kill() }
        }
    }

    It 'renders a systemd unit that systemd-analyze verify accepts without a word' {
        $unit = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 |
            ConvertTo-SniProxyManifest -As SystemdUnit -PwshPath (Join-Path $PSHOME 'pwsh') -DrainTimeoutSec 20
        $unit | Should -Match '(?m)^Type=exec$'
        $unit | Should -Match '(?m)^KillSignal=SIGTERM$'
        $unit | Should -Match '(?m)^TimeoutStopSec=30$'
        $unit | Should -Match '(?m)^Restart=on-failure$'
        $unit | Should -Match '(?m)^LimitNOFILE=\d+$'
        $unit | Should -Match '(?m)^AmbientCapabilities=CAP_NET_BIND_SERVICE$'
        $unit | Should -Match '(?m)^DynamicUser=yes$'
        $unit | Should -Match '(?m)^Environment=DOTNET_GCgen0size=0x100000$'
        $unit | Should -Match 'Start-SniProxy -Path /etc/clusterexpose/routes\.yaml -Watch -Wait -DrainTimeoutSec 20'
        $file = Join-Path $TestDrive 'clusterexpose-sniproxy.service'
        Set-Content -LiteralPath $file -Value $unit
        # systemd-analyze (installed by build.ps1 Test) exits 0 on mere warnings, so its words count too.
        $said = & systemd-analyze verify --man=no $file 2>&1
        $LASTEXITCODE | Should -Be 0
        $said | Should -BeNullOrEmpty
    }

    It 'renders a unit without the capability when every port is above 1024, and the routes file it serves' {
        $set = New-ExposedHost k65 kl.example.top 10.21.22.65 -HttpPort 8080 -HttpsPort 8443
        $set | ConvertTo-SniProxyManifest -As SystemdUnit | Should -Match '(?m)^CapabilityBoundingSet=$'
        $routes = $set | ConvertTo-SniProxyManifest -As RoutesFile
        $routes | Should -Match '(?m)^kind: IngressRouteTCP$'
        $routes | Should -Not -Match '(?m)^kind: DaemonSet$'
    }

    It 'refuses a pwsh path systemd would split, with a stable id' {
        $null = New-ExposedHost k65 kl.example.top 10.21.22.65 | ConvertTo-SniProxyManifest -As SystemdUnit -PwshPath '/opt/my pwsh/pwsh' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidProxyOption,ClusterExpose.Commands.ConvertToSniProxyManifestCommand'
    }

    It 'refuses targets a cluster cannot reach, with a stable id' {
        $null = New-ExposedHost k65 kl.example.top 127.0.0.1 | ConvertTo-SniProxyManifest -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'AddressRejectedByKubernetes,ClusterExpose.Commands.ConvertToSniProxyManifestCommand'
    }
}

Describe 'Errors carry stable ids and start nothing' {
    AfterEach {
        Get-SniProxy | Stop-SniProxy -DrainTimeoutSec 0
    }

    It '<Name>' -ForEach @(
        @{ Name = 'no routes'; Id = 'NoProxyRoutes,ClusterExpose.Commands.StartSniProxyCommand'; Category = 'InvalidArgument'; Command = { Start-SniProxy -ListenAddress 127.0.0.1 } }
        @{ Name = 'a listen address that is not one'; Id = 'InvalidListenAddress,ClusterExpose.Commands.StartSniProxyCommand'; Category = 'InvalidArgument'; Command = { New-ExposedHost k65 kl.example.top 127.0.0.1 | Start-SniProxy -ListenAddress localhost } }
        @{ Name = 'a routes file that is missing'; Id = 'FileNotFound,ClusterExpose.Commands.StartSniProxyCommand'; Category = 'ObjectNotFound'; Command = { Start-SniProxy -Path (Join-Path $TestDrive 'none.yaml') } }
        @{ Name = 'a proxy that does not run'; Id = 'ProxyNotFound,ClusterExpose.Commands.StopSniProxyCommand'; Category = 'ObjectNotFound'; Command = { Stop-SniProxy -Id 987654 } }
        @{ Name = 'counters of a proxy that does not run'; Id = 'ProxyNotFound,ClusterExpose.Commands.GetSniProxyCommand'; Category = 'ObjectNotFound'; Command = { Get-SniProxy -Id 987654 } }
        @{ Name = 'a string piped in as a route'; Id = 'UnsupportedInputObject,ClusterExpose.Commands.StartSniProxyCommand'; Category = 'InvalidArgument'; Command = { 'kl.example.top' | Start-SniProxy -ListenAddress 127.0.0.1 } }
    ) {
        $before = @(Get-SniProxy).Count
        $null = Assert-CommandError $Command $Id $Category
        @(Get-SniProxy).Count | Should -Be $before
    }

    It 'refuses a port that is taken, and leaves nothing listening' {
        $taken = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $taken.Start()
        try {
            $port = $taken.LocalEndpoint.Port
            $result = New-ExposedHost k65 kl.example.top 127.0.0.1 | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort $port -ErrorAction SilentlyContinue -ErrorVariable err
            $result | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'ListenFailed,ClusterExpose.Commands.StartSniProxyCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            Get-SniProxy | Should -BeNullOrEmpty
        }
        finally {
            $taken.Stop()
        }
    }
}
