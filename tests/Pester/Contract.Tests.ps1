# The shape of the command surface: approved verbs, singular nouns, ShouldProcess where something
# changes or starts, declared output types, and the pipelines the scenario relies on.
BeforeAll {
    $module = Import-Module $env:CLUSTEREXPOSE_MODULE -Force -PassThru
    $script:commands = @($module.ExportedCmdlets.Values)
    $script:changers = @('Export-ExposeManifest', 'Start-SniProxy', 'Stop-SniProxy', 'Update-SniProxy', 'Publish-ExposeResource', 'Remove-ExposedHost', 'Remove-TcpForward')
}

Describe 'Every exported cmdlet' {
    It 'uses an approved verb and a singular noun: <_>' -ForEach @((Import-Module $env:CLUSTEREXPOSE_MODULE -Force -PassThru).ExportedCmdlets.Keys) {
        $command = Get-Command $_
        (Get-Verb).Verb | Should -Contain $command.Verb
        $command.Noun | Should -Not -Match 's$'
    }

    It 'declares what it outputs: <_>' -ForEach @((Import-Module $env:CLUSTEREXPOSE_MODULE -Force -PassThru).ExportedCmdlets.Keys) {
        (Get-Command $_).OutputType | Should -Not -BeNullOrEmpty
    }

    It 'asks before deleting from a cluster: <_>' -ForEach @('Remove-ExposedHost', 'Remove-TcpForward') {
        $attribute = (Get-Command $_).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attribute.ConfirmImpact | Should -Be 'High'
    }

    It 'supports -WhatIf and -Confirm exactly where it writes a file or a cluster, or starts, changes or stops a proxy' {
        foreach ($command in $commands) {
            $supports = $command.Parameters.ContainsKey('WhatIf')
            $supports | Should -Be ($command.Name -in $changers) -Because $command.Name
        }
    }
}

Describe 'Pipelines between the cmdlets' {
    It 'New-ExposedHost | Add-TcpForward | Test-SniRoute' {
        (New-ExposedHost k65 kl.example.top 10.21.22.65 | Add-TcpForward pg 5432 10.21.22.70 | Test-SniRoute -Hostname kl.example.top -EntryPoint websecure).Router |
            Should -Be 'default/k65-https'
    }

    It 'Import-ExposeManifest | Start-SniProxy -WhatIf, and Get-SniProxy | Stop-SniProxy' {
        $file = Join-Path $TestDrive 'set.yaml'
        New-ExposedHost k65 kl.example.top 10.21.22.65 | Export-ExposeManifest -Path $file
        Import-ExposeManifest $file | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -WhatIf
        $proxy = Import-ExposeManifest $file | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0
        Get-SniProxy -Id $proxy.Id | Stop-SniProxy -DrainTimeoutSec 0
        Get-SniProxy | Where-Object Id -EQ $proxy.Id | Should -BeNullOrEmpty
    }

    It 'Import-ExposeManifest | ConvertTo-ExposeManifest gives the same manifest back' {
        $file = Join-Path $TestDrive 'again.yaml'
        $yaml = New-ExposedHost k65 kl.example.top 10.21.22.65 -IncludeSubdomains | Add-TcpForward pg 5432 10.21.22.70 | ConvertTo-ExposeManifest
        Set-Content -LiteralPath $file -Value $yaml
        (Import-ExposeManifest $file | ConvertTo-ExposeManifest) | Should -Be $yaml
    }
}

# Pipeline input a cmdlet cannot use: $null (often a variable never set), an empty array, a string, an
# object of another type. Each is an error record with a stable id and InvalidArgument (a string given
# to Import-ExposeManifest is a path, and one that names no file is ObjectNotFound), and nothing is
# output. An empty pipeline is nothing to do for the commands that act once per object that comes in
# (removing, stopping, importing, creating), as for Remove-Item; the commands that need a set to work
# on say that none came.
Describe 'Pipeline input a cmdlet cannot use' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Helpers.ps1')
        $script:kc = Join-Path $TestDrive 'no-such-kubeconfig'
        $script:commands = @{
            'Add-TcpForward'             = { param($in) $in | Add-TcpForward pg 5432 10.21.22.70 }
            'ConvertTo-ExposeManifest'   = { param($in) $in | ConvertTo-ExposeManifest }
            'ConvertTo-SniProxyManifest' = { param($in) $in | ConvertTo-SniProxyManifest }
            'Export-ExposeManifest'      = { param($in) $in | Export-ExposeManifest -Path (Join-Path $TestDrive 'never.yaml') }
            'Import-ExposeManifest'      = { param($in) $in | Import-ExposeManifest }
            'Publish-ExposeResource'     = { param($in) $in | Publish-ExposeResource -KubeConfig $kc }
            'Remove-ExposedHost'         = { param($in) $in | Remove-ExposedHost -KubeConfig $kc -Confirm:$false }
            'Remove-TcpForward'          = { param($in) $in | Remove-TcpForward -KubeConfig $kc -Confirm:$false }
            'Start-SniProxy'             = { param($in) $in | Start-SniProxy -ListenAddress 127.0.0.1 -HttpPort 0 -HttpsPort 0 -WhatIf }
            'Update-SniProxy'            = { param($in) $in | Update-SniProxy -Id 2147483647 }
            'Stop-SniProxy'              = { param($in) $in | Stop-SniProxy }
            'Get-SniProxy'               = { param($in) $in | Get-SniProxy }
            'Test-SniRoute'              = { param($in) $in | Test-SniRoute -Hostname a.example.top }
            'Test-SniRoute -Lint'        = { param($in) $in | Test-SniRoute -Lint }
            'Test-Exposure'              = { param($in) $in | Test-Exposure -PublicAddress 127.0.0.1 }
            'Convert-TraefikRule'        = { param($in) $in | Convert-TraefikRule }
            'New-ExposedHost'            = { param($in) $in | New-ExposedHost k65 kl.example.top 10.21.22.65 }
        }
        # Commands that take nothing from the pipeline: PowerShell's own binding error (InputObjectNotBound) answers for them.
        $script:noPipeline = @('New-ExposedHost', 'New-ExposeRoleManifest', 'Get-ExposedHost', 'Get-TcpForward', 'Get-SniProxy', 'Stop-SniProxy', 'Convert-TraefikRule')
    }

    It 'every exported cmdlet is in the table, or takes nothing from the pipeline by value' {
        foreach ($name in (Get-Module ClusterExpose).ExportedCmdlets.Keys) {
            if ($name -in $commands.Keys) { continue }
            $name | Should -BeIn $noPipeline
            @((Get-Command $name).Parameters.Values | Where-Object { $_.Attributes.ValueFromPipeline -contains $true }) | Should -BeNullOrEmpty -Because "$name takes pipeline input"
        }
    }

    It '<Command> with <Case> input: <Id>' -ForEach @(
        foreach ($case in 'null', 'string', 'date') {
            $object = @{ null = 'NullInputObject'; string = 'UnsupportedInputObject'; date = 'UnsupportedInputObject' }[$case]
            foreach ($name in 'Add-TcpForward', 'ConvertTo-ExposeManifest', 'ConvertTo-SniProxyManifest', 'Export-ExposeManifest', 'Publish-ExposeResource', 'Start-SniProxy', 'Update-SniProxy', 'Test-SniRoute', 'Test-SniRoute -Lint', 'Test-Exposure') {
                @{ Command = $name; Case = $case; Id = $object; Category = 'InvalidArgument' }
            }
            foreach ($name in 'Remove-ExposedHost', 'Remove-TcpForward') {
                @{ Command = $name; Case = $case; Id = $(if ($case -eq 'null') { 'NullInputObject' } else { 'InputObjectNotBound' }); Category = 'InvalidArgument' }
            }
            foreach ($name in 'Stop-SniProxy', 'Get-SniProxy', 'New-ExposedHost') {
                @{ Command = $name; Case = $case; Id = 'InputObjectNotBound'; Category = 'InvalidArgument' }
            }
            @{ Command = 'Convert-TraefikRule'; Case = $case; Id = 'InvalidRule'; Category = 'InvalidArgument' }
            @{ Command = 'Import-ExposeManifest'; Case = $case; Id = $(if ($case -eq 'null') { 'NullInputObject' } else { 'FileNotFound' }); Category = $(if ($case -eq 'null') { 'InvalidArgument' } else { 'ObjectNotFound' }) }
        }
        foreach ($name in 'ConvertTo-ExposeManifest', 'Export-ExposeManifest', 'Publish-ExposeResource', 'Test-Exposure') {
            @{ Command = $name; Case = 'empty'; Id = 'NoInputObject'; Category = 'InvalidArgument' }
        }
        foreach ($name in 'ConvertTo-SniProxyManifest', 'Start-SniProxy') {
            @{ Command = $name; Case = 'empty'; Id = 'NoProxyRoutes'; Category = 'InvalidArgument' }
        }
        foreach ($name in 'Test-SniRoute', 'Test-SniRoute -Lint') {
            @{ Command = $name; Case = 'empty'; Id = 'NoRoutes'; Category = 'InvalidArgument' }
        }
    ) {
        $piped = @{ null = $null; empty = @(); string = 'kl.example.top'; date = [datetime]::UnixEpoch }[$Case]
        $block = $commands[$Command]
        $record = Assert-CommandError { & $block $piped } "$Id,ClusterExpose.Commands.$(($Command -split ' ')[0] -replace '-')Command" $Category
        "$($record.Exception.GetType().FullName)" | Should -Not -Match 'NullReference'
        Test-Path (Join-Path $TestDrive 'never.yaml') | Should -BeFalse
    }

    It 'an empty pipeline is nothing to do for <_>' -ForEach @('Remove-ExposedHost', 'Remove-TcpForward', 'Stop-SniProxy', 'Import-ExposeManifest', 'Convert-TraefikRule') {
        $block = $commands[$_]
        $all = & $block @() 2>&1
        $all | Should -BeNullOrEmpty
    }
}
