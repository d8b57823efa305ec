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
