# Compiles the cmdlet help written as markdown (docs/help/<Verb-Noun>.md) into the MAML file
# PowerShell reads for a binary module (en-US/<assembly>-Help.xml). Descriptions come from the
# markdown; syntax, types, positions and pipeline input come from the cmdlets themselves, so the
# two cannot drift apart.

$script:Maml = 'http://schemas.microsoft.com/maml/2004/10'
$script:Command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:Dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Read-HelpMarkdown([string] $Path) {
    $help = [ordered]@{ Name = ''; Synopsis = ''; Description = [System.Collections.Generic.List[string]]::new(); Examples = [System.Collections.Generic.List[object]]::new(); Parameters = [ordered]@{}; Links = [System.Collections.Generic.List[string]]::new() }
    $section = ''
    $paragraph = [System.Text.StringBuilder]::new()
    $example = $null
    $parameter = $null
    $inCode = $false

    $flush = {
        $text = $paragraph.ToString().Trim()
        $null = $paragraph.Clear()
        if (-not $text) { return }
        switch ($section) {
            'SYNOPSIS' { $help.Synopsis = $text }
            'DESCRIPTION' { $help.Description.Add($text) }
            'EXAMPLES' { if ($example) { $example.Remarks.Add($text) } }
            'PARAMETERS' { if ($parameter) { $help.Parameters[$parameter] = (@($help.Parameters[$parameter]) + $text) -join "`n" } }
        }
    }

    foreach ($line in Get-Content -LiteralPath $Path) {
        if ($inCode) {
            if ($line -eq '```') { $inCode = $false } else { $example.Code.Add($line) }
            continue
        }

        if ($line -match '^<!--.*-->$') { continue }
        if ($line -match '^# (.+)$') { $help.Name = $Matches[1].Trim(); continue }
        if ($line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim(); continue }
        if ($section -eq 'EXAMPLES' -and $line -match '^### (.+)$') {
            & $flush
            $example = [pscustomobject]@{ Title = $Matches[1].Trim(); Code = [System.Collections.Generic.List[string]]::new(); Remarks = [System.Collections.Generic.List[string]]::new() }
            $help.Examples.Add($example)
            continue
        }
        if ($section -eq 'EXAMPLES' -and $line -match '^```') { & $flush; $inCode = $true; continue }
        if ($section -eq 'PARAMETERS' -and $line -match '^### -(\w+)\s*$') { & $flush; $parameter = $Matches[1]; $help.Parameters[$parameter] = @(); continue }
        if ($section -eq 'RELATED LINKS' -and $line -match '^- (.+)$') { $help.Links.Add($Matches[1].Trim()); continue }
        if ($line.Trim() -eq '') { & $flush; continue }
        $null = $paragraph.Append($line.Trim()).Append(' ')
    }

    & $flush
    [pscustomobject]$help
}

function Write-Paragraphs([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $script:Maml)
    foreach ($text in $Paragraphs) {
        $Writer.WriteElementString('maml', 'para', $script:Maml, $text)
    }
    $Writer.WriteEndElement()
}

# What PowerShell's own help says of the two ShouldProcess parameters; a page need not repeat it.
$script:ShouldProcessText = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. Nothing is changed.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

# A parameter's default as help shows it: the value a new instance of the cmdlet holds, when it says something.
function Get-DefaultText($Instance, [string] $Name, $Metadata) {
    if ($null -eq $Instance) { return $null }
    # A parameter that every parameter set requires has no default.
    if ($Metadata -and -not ($Metadata.ParameterSets.Values | Where-Object { -not $_.IsMandatory })) { return $null }
    $value = $Instance.$Name
    if ($null -eq $value) { return $null }
    if ($value -is [System.Management.Automation.SwitchParameter]) { return $(if ($value.IsPresent) { 'True' } else { 'False' }) }
    if ($value -is [string]) { return $(if ($value.Length -gt 0) { $value } else { $null }) }
    # 0 stands for "not given" on the numeric parameters (the cmdlet picks its own value then), so the page says it.
    if ($value -is [ValueType] -and "$value" -eq '0') { return $null }
    if ($value -is [System.Collections.IEnumerable]) {
        $items = @($value | ForEach-Object { "$_" })
        return $(if ($items.Count -gt 0) { $items -join ', ' } else { $null })
    }
    "$value"
}

function Write-ParameterElement([System.Xml.XmlWriter] $Writer, $Parameter, [string] $Description, $Set, [string] $Default) {
    $attribute = if ($Set) { $Set } else { $Parameter.ParameterSets.Values | Select-Object -First 1 }
    $Writer.WriteStartElement('command', 'parameter', $script:Command)
    $Writer.WriteAttributeString('required', ([string]$attribute.IsMandatory).ToLowerInvariant())
    $Writer.WriteAttributeString('position', $(if ($attribute.Position -ge 0) { [string]($attribute.Position + 1) } else { 'named' }))
    $pipeline = @(if ($attribute.ValueFromPipeline) { 'ByValue' }; if ($attribute.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
    $Writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { 'True (' + ($pipeline -join ', ') + ')' } else { 'False' }))
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $Writer.WriteAttributeString('globbing', ([string]$globbing).ToLowerInvariant())
    $Writer.WriteElementString('maml', 'name', $script:Maml, $Parameter.Name)
    Write-Paragraphs $Writer @($Description)
    $type = $Parameter.ParameterType
    if ($type.IsGenericType -and $type.GetGenericTypeDefinition() -eq [Nullable`1]) {
        $type = $type.GetGenericArguments()[0]
    }

    # A switch takes no value: its syntax is [-Name], not [-Name <SwitchParameter>].
    if (-not $Parameter.SwitchParameter) {
        $Writer.WriteStartElement('command', 'parameterValue', $script:Command)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteString($type.Name)
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('dev', 'type', $script:Dev)
    $Writer.WriteElementString('maml', 'name', $script:Maml, $type.FullName)
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $script:Dev, $(if ($Default) { $Default } else { 'None' }))
    $Writer.WriteEndElement()
}

function Write-TypeList([System.Xml.XmlWriter] $Writer, [string] $List, [string] $Item, $Types) {
    $Writer.WriteStartElement('command', $List, $script:Command)
    foreach ($entry in $Types) {
        $Writer.WriteStartElement('command', $Item, $script:Command)
        $Writer.WriteStartElement('dev', 'type', $script:Dev)
        $Writer.WriteElementString('maml', 'name', $script:Maml, $entry.Name)
        $Writer.WriteEndElement()
        Write-Paragraphs $Writer @($entry.Description)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

<#
.SYNOPSIS
    Writes the MAML help of every cmdlet of an imported module from its markdown pages.
.OUTPUTS
    The names of the cmdlets that have no page (the caller decides whether that fails the build).
#>
function ConvertTo-MamlHelp {
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSModuleInfo] $Module,
        [Parameter(Mandatory)] [string] $SourceFolder,
        [Parameter(Mandatory)] [string] $Destination
    )

    # WhatIf and Confirm are shown where a cmdlet has them; the other common parameters are not.
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters | Where-Object { $_ -notin 'WhatIf', 'Confirm' })
    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $null = New-Item -ItemType Directory -Force (Split-Path $Destination)
    $writer = [System.Xml.XmlWriter]::Create($Destination, $settings)
    $missing = [System.Collections.Generic.List[string]]::new()
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($cmdlet in $Module.ExportedCmdlets.Values | Sort-Object Name) {
            $page = Join-Path $SourceFolder "$($cmdlet.Name).md"
            if (-not (Test-Path -LiteralPath $page)) {
                $missing.Add($cmdlet.Name)
                continue
            }

            $help = Read-HelpMarkdown $page
            foreach ($name in 'WhatIf', 'Confirm') {
                if ($cmdlet.Parameters.ContainsKey($name) -and -not $help.Parameters[$name]) { $help.Parameters[$name] = $script:ShouldProcessText[$name] }
            }
            $instance = try { [Activator]::CreateInstance($cmdlet.ImplementingType) } catch { $null }
            $writer.WriteStartElement('command', 'command', $script:Command)
            $writer.WriteAttributeString('xmlns', 'maml', $null, $script:Maml)
            $writer.WriteAttributeString('xmlns', 'dev', $null, $script:Dev)
            $writer.WriteStartElement('command', 'details', $script:Command)
            $writer.WriteElementString('command', 'name', $script:Command, $cmdlet.Name)
            Write-Paragraphs $writer @($help.Synopsis)
            $writer.WriteElementString('command', 'verb', $script:Command, $cmdlet.Verb)
            $writer.WriteElementString('command', 'noun', $script:Command, $cmdlet.Noun)
            $writer.WriteEndElement()
            Write-Paragraphs $writer $help.Description

            $writer.WriteStartElement('command', 'syntax', $script:Command)
            foreach ($set in $cmdlet.ParameterSets) {
                $writer.WriteStartElement('command', 'syntaxItem', $script:Command)
                $writer.WriteElementString('maml', 'name', $script:Maml, $cmdlet.Name)
                foreach ($parameter in $set.Parameters | Where-Object Name -NotIn $common) {
                    $metadata = $cmdlet.Parameters[$parameter.Name]
                    $setAttribute = $metadata.ParameterSets[$set.Name]
                    if (-not $setAttribute) { $setAttribute = $metadata.ParameterSets['__AllParameterSets'] }
                    Write-ParameterElement $writer $metadata $help.Parameters[$parameter.Name] $setAttribute (Get-DefaultText $instance $parameter.Name $metadata)
                }
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'parameters', $script:Command)
            foreach ($name in $cmdlet.Parameters.Keys | Where-Object { $_ -notin $common }) {
                Write-ParameterElement $writer $cmdlet.Parameters[$name] $help.Parameters[$name] $null (Get-DefaultText $instance $name $cmdlet.Parameters[$name])
            }
            $writer.WriteEndElement()

            # INPUTS from the parameters that take pipeline input, OUTPUTS from the cmdlet's OutputType.
            $inputs = @(foreach ($parameter in $cmdlet.Parameters.Values | Where-Object { $_.Name -notin $common }) {
                    foreach ($attribute in $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }) {
                        if ($attribute.ValueFromPipeline) { [pscustomobject]@{ Name = $parameter.ParameterType.FullName; Description = "By value, to -$($parameter.Name)." } }
                        elseif ($attribute.ValueFromPipelineByPropertyName) { [pscustomobject]@{ Name = $parameter.ParameterType.FullName; Description = "By the property name $($parameter.Name) (or an alias of it)." } }
                    }
                }) | Sort-Object Name, Description -Unique
            if (-not $inputs) { $inputs = @([pscustomobject]@{ Name = 'None'; Description = 'Nothing is taken from the pipeline.' }) }
            Write-TypeList $writer 'inputTypes' 'inputType' $inputs
            $outputs = @($cmdlet.OutputType | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Description = '' } } | Sort-Object Name -Unique)
            if (-not $outputs) { $outputs = @([pscustomobject]@{ Name = 'None'; Description = 'Nothing is written to the pipeline.' }) }
            Write-TypeList $writer 'returnValues' 'returnValue' $outputs

            $writer.WriteStartElement('command', 'examples', $script:Command)
            foreach ($example in $help.Examples) {
                $writer.WriteStartElement('command', 'example', $script:Command)
                $writer.WriteElementString('maml', 'title', $script:Maml, "-------------------------- $($example.Title) --------------------------")
                $writer.WriteElementString('dev', 'code', $script:Dev, ($example.Code -join "`n"))
                $writer.WriteStartElement('dev', 'remarks', $script:Dev)
                foreach ($remark in $example.Remarks) {
                    $writer.WriteElementString('maml', 'para', $script:Maml, $remark)
                }
                $writer.WriteEndElement()
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()

            $writer.WriteStartElement('command', 'relatedLinks', $script:Command)
            foreach ($link in $help.Links) {
                $writer.WriteStartElement('maml', 'navigationLink', $script:Maml)
                $writer.WriteElementString('maml', 'linkText', $script:Maml, $link)
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
            $writer.WriteEndElement()
        }

        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }

    $missing
}

Export-ModuleMember -Function ConvertTo-MamlHelp
