using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace ClusterExpose.Commands;

/// <summary>
/// Lets -TraefikVersion (and -From/-To) take a version as people write it: <c>3.7</c>, <c>v3</c>,
/// <c>2.11.4</c>, <c>3</c>, besides the enum names V3 and V2. Only the major version decides the rule
/// syntax; an unknown major version is refused with the versions that are known.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed partial class TraefikVersionTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is TraefikVersion || value is null)
        {
            return value!;
        }

        string text = Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim() ?? string.Empty;
        Match match = VersionText().Match(text);
        if (match.Success)
        {
            return match.Groups["major"].Value switch
            {
                "3" => TraefikVersion.V3,
                "2" => TraefikVersion.V2,
                _ => throw new ArgumentTransformationMetadataException($"Traefik {text} is not a version ClusterExpose knows the rules of; give 3 (3.x) or 2 (2.x)."),
            };
        }

        if (Enum.TryParse(text, ignoreCase: true, out TraefikVersion named))
        {
            return named;
        }

        throw new ArgumentTransformationMetadataException($"'{text}' is not a Traefik version; write it as 3.7, v3, 2.11 or V2.");
    }

    [GeneratedRegex(@"^[vV]?(?<major>\d+)(\.\d+){0,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionText();
}
