# Compiles docs/help/*.md into the staged module's MAML help, in a process of its own so that the
# build's session never loads the module it is building. Fails when an exported cmdlet has no page.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SourceFolder,
    [Parameter(Mandatory)] [string] $Destination
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'HelpCompiler.psm1')
$module = Import-Module $ModulePath -PassThru
$missing = @(ConvertTo-MamlHelp -Module $module -SourceFolder $SourceFolder -Destination $Destination)
if ($missing.Count -gt 0) {
    Write-Error "No help page in $SourceFolder for: $($missing -join ', ')"
    exit 1
}
