# Helpers shared by the test files; dot-sourced in their BeforeAll.

# A port on 127.0.0.1 that nothing listens on at this moment.
function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Runs a command that must fail with a stable id (the whole FullyQualifiedErrorId: the id, a comma and
# the cmdlet's class) and category and produce nothing else; returns its first error record for
# further checks. A script block takes no -ErrorAction, so its error stream is merged into the output
# and the records are split out again.
function Assert-CommandError([scriptblock] $Command, [string] $FullId, [string] $Category) {
    $ErrorActionPreference = 'Continue'
    $all = & $Command 2>&1
    $err = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
    $err.Count | Should -BeGreaterThan 0
    $err[0].FullyQualifiedErrorId | Should -Be $FullId
    $err[0].CategoryInfo.Category | Should -Be $Category
    $err[0]
}
