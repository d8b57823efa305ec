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

    It 'says what it takes from the pipeline and what it returns' {
        @($help.inputTypes.inputType.type.name | Where-Object { $_ }) | Should -Not -BeNullOrEmpty
        $declared = @($command.OutputType.Name | Sort-Object -Unique)
        $documented = @($help.returnValues.returnValue.type.name | Sort-Object -Unique)
        $documented | Should -Be $(if ($declared) { $declared } else { @('None') })
        $byValue = @($command.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline } })
        foreach ($parameter in $byValue) {
            $help.inputTypes.inputType.type.name | Should -Contain $parameter.ParameterType.FullName
        }
    }

    It 'shows -WhatIf and -Confirm in its syntax exactly where it supports them' {
        foreach ($item in @($help.Syntax.syntaxItem)) {
            $names = @($item.parameter.name)
            ($names -contains 'WhatIf') | Should -Be $command.Parameters.ContainsKey('WhatIf')
            ($names -contains 'Confirm') | Should -Be $command.Parameters.ContainsKey('Confirm')
        }
    }

    It 'gives the default of every parameter that has one' {
        $instance = [Activator]::CreateInstance($command.ImplementingType)
        foreach ($name in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $value = $instance.$name
            $optional = [bool]($command.Parameters[$name].ParameterSets.Values | Where-Object { -not $_.IsMandatory })
            $meaningful = $optional -and $null -ne $value -and -not ($value -is [System.Management.Automation.SwitchParameter]) -and "$value" -notin '', '0' -and -not ($value -is [array] -and $value.Count -eq 0)
            if ($meaningful) {
                $documented = ($help.Parameters.Parameter | Where-Object Name -EQ $name).defaultValue
                $expected = if ($value -is [array]) { @($value | ForEach-Object { "$_" }) -join ', ' } else { "$value" }
                $documented | Should -Be $expected -Because "-$name of $($command.Name) defaults to $expected"
            }
        }
    }

    It 'links to related help' {
        @($help.RelatedLinks.NavigationLink).Count | Should -BeGreaterThan 0
    }
}
