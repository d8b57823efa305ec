using ClusterExpose.Engine.Validation;
using Xunit;

namespace ClusterExpose.Engine.Tests;

public sealed class HostnameNormalizerTests
{
    [Theory]
    [InlineData("kl.example.top", "kl.example.top")]
    [InlineData("KL.Example.TOP", "kl.example.top")]
    [InlineData("kl.example.top.", "kl.example.top")]
    [InlineData("  kl.example.top  ", "kl.example.top")]
    [InlineData("*.kl.example.top", "*.kl.example.top")]
    [InlineData("*.KL.example.top.", "*.kl.example.top")]
    [InlineData("bücher.example.top", "xn--bcher-kva.example.top")]
    [InlineData("*.bücher.example.top", "*.xn--bcher-kva.example.top")]
    [InlineData("xn--bcher-kva.example.top", "xn--bcher-kva.example.top")]
    [InlineData("a-b.c0.example", "a-b.c0.example")]
    [InlineData("localhost", "localhost")]
    [InlineData("**.KL.example.top.", "**.kl.example.top")]
    [InlineData("**.bücher.example.top", "**.xn--bcher-kva.example.top")]
    public void NormalisesValidNames(string input, string expected)
    {
        Assert.Null(HostnameNormalizer.TryNormalize(input, out string normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData("a..example", "empty label")]
    [InlineData(".example", "empty label")]
    [InlineData("-a.example", "starts or ends with '-'")]
    [InlineData("a-.example", "starts or ends with '-'")]
    [InlineData("a_b.example", "'_' is not allowed")]
    [InlineData("a b.example", "' ' is not allowed")]
    [InlineData("foo*.example", "whole leftmost label")]
    [InlineData("a.*.example", "whole leftmost label")]
    [InlineData("***.example", "whole leftmost label")]
    [InlineData("*.**.example", "whole leftmost label")]
    [InlineData("**.", "needs a domain after '**.'")]
    [InlineData("*", "whole leftmost label")]
    [InlineData("*.", "needs a domain")]
    [InlineData("10.21.22.65", "IP address")]
    [InlineData("example.123", "IP address")]
    [InlineData("a.example:443", "':' is not allowed")]
    public void RejectsInvalidNamesSayingWhy(string input, string reasonFragment)
    {
        string? problem = HostnameNormalizer.TryNormalize(input, out _);
        Assert.NotNull(problem);
        Assert.Contains(reasonFragment, problem);
    }

    [Fact]
    public void RejectsLabelsLongerThan63()
    {
        string label = new('a', 64);
        Assert.Contains("at most 63", HostnameNormalizer.TryNormalize(label + ".example", out _));
        Assert.Null(HostnameNormalizer.TryNormalize(new string('a', 63) + ".example", out _));
    }

    [Fact]
    public void RejectsNamesLongerThan253()
    {
        string name = string.Join(".", System.Linq.Enumerable.Repeat(new string('a', 63), 4)); // 255 characters
        Assert.Contains("limit is 253", HostnameNormalizer.TryNormalize(name, out _));
    }

    [Fact]
    public void NormalisationIsIdempotentOverGeneratedNames()
    {
        var random = new System.Random(20261126);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-üéß.";
        int valid = 0;
        for (int i = 0; i < 3000; i++)
        {
            int length = random.Next(1, 40);
            var chars = new char[length];
            for (int c = 0; c < length; c++)
            {
                chars[c] = alphabet[random.Next(alphabet.Length)];
            }

            string input = (random.Next(4) == 0 ? "*." : string.Empty) + new string(chars);
            if (HostnameNormalizer.TryNormalize(input, out string once) is not null)
            {
                continue;
            }

            valid++;
            Assert.Null(HostnameNormalizer.TryNormalize(once, out string twice));
            Assert.Equal(once, twice);
            Assert.Equal(once, once.ToLowerInvariant());
            Assert.DoesNotContain(once, ch => ch > 0x7f);
        }

        Assert.True(valid > 500, $"the generator produced only {valid} valid names");
    }

    [Theory]
    [InlineData("*.kl.example.top", "a.kl.example.top", true)]
    [InlineData("*.kl.example.top", "a.b.kl.example.top", false)]
    [InlineData("*.kl.example.top", "kl.example.top", false)]
    [InlineData("**.kl.example.top", "a.kl.example.top", true)]
    [InlineData("**.kl.example.top", "a.b.kl.example.top", true)]
    [InlineData("**.kl.example.top", "kl.example.top", false)]
    [InlineData("**.kl.example.top", "akl.example.top", false)]
    [InlineData("kl.example.top", "kl.example.top", true)]
    public void SaysWhichNamesAWildcardStandsFor(string pattern, string name, bool covered)
    {
        Assert.Equal(covered, HostnameNormalizer.Covers(pattern, name));
        Assert.Equal(pattern.StartsWith("**.", System.StringComparison.Ordinal), HostnameNormalizer.IsAnyDepth(pattern));
    }
}
