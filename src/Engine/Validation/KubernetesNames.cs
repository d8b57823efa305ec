namespace ClusterExpose.Engine.Validation;

/// <summary>The Kubernetes object-name grammars ClusterExpose has to satisfy.</summary>
public static class KubernetesNames
{
    /// <summary>RFC 1035 label: what a Service name must be (lowercase, digits, '-', starts with a letter, at most 63).</summary>
    public static bool IsDns1035Label(string? value) =>
        IsLabel(value, 63) && value![0] is >= 'a' and <= 'z';

    /// <summary>RFC 1123 label: what a namespace must be.</summary>
    public static bool IsDns1123Label(string? value) => IsLabel(value, 63);

    /// <summary>RFC 1123 subdomain: what most object names must be.</summary>
    public static bool IsDns1123Subdomain(string? value)
    {
        if (string.IsNullOrEmpty(value) || value!.Length > 253)
        {
            return false;
        }

        foreach (string label in value.Split('.'))
        {
            if (!IsLabel(label, 63))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// IANA service name: what a container or Service port name must be (at most 15, lowercase,
    /// digits and '-', at least one letter, no leading, trailing or doubled '-'). Traefik entry points
    /// declared through the Helm chart become container port names, so they obey it too.
    /// </summary>
    public static bool IsIanaServiceName(string? value)
    {
        if (string.IsNullOrEmpty(value) || value!.Length > 15)
        {
            return false;
        }

        bool hasLetter = false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c is >= 'a' and <= 'z')
            {
                hasLetter = true;
            }
            else if (c == '-')
            {
                if (i == 0 || i == value.Length - 1 || value[i - 1] == '-')
                {
                    return false;
                }
            }
            else if (c is not (>= '0' and <= '9'))
            {
                return false;
            }
        }

        return hasLetter;
    }

    private static bool IsLabel(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value!.Length > maxLength)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-'))
            {
                return false;
            }
        }

        return value[0] != '-' && value[value.Length - 1] != '-';
    }
}
