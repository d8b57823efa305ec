# Every exported cmdlet has real help, compiled from docs/help/<Verb-Noun>.md, and the pages name
# only parameters that exist.
BeforeDiscovery {
    $script:cmdletNames = @((Import-Module $env:CLUSTEREXPOSE_MODULE -Force -PassThru).ExportedCmdlets.Keys | Sort-Object)
}

BeforeAll {
    Import-Module $env:CLUSTEREXPOSE_MODULE -Force
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $script:pages = Join-Path $PSScriptRoot '../../docs/help'
}

Describe 'Help of <_>' -ForEach $cmdletNames {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
    }

    It 'has a synopsis of its own, not the generated syntax line' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($name) + '\s+\[')
    }

    It 'has a description' {
        ($help.Description.Text -join ' ').Length | Should -BeGreaterThan 80
    }

    It 'has at least two examples with code' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every parameter' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $documented = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($documented.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
        }
    }

    It 'names only parameters that exist' {
        $named = Select-String -LiteralPath (Join-Path $pages "$name.md") -Pattern '^### -(\w+)' | ForEach-Object { $_.Matches[0].Groups[1].Value }
        $named | Should -Not -BeNullOrEmpty
        foreach ($parameter in $named) {
            $command.Parameters.Keys | Should -Contain $parameter -Because "docs/help/$name.md documents -$parameter"
        }
    }

    It 'links to related help' {
        @($help.RelatedLinks.NavigationLink).Count | Should -BeGreaterThan 0
    }
}
