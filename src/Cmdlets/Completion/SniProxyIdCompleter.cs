using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using ClusterExpose.Engine.Proxy;

namespace ClusterExpose.Commands.Completion;

/// <summary>Completes -Id of the SNI proxy cmdlets with the proxies running in this session.</summary>
public sealed class SniProxyIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SniProxyHost.List()
            .Select(p => (Proxy: p, Text: p.Id.ToString(CultureInfo.InvariantCulture)))
            .Where(p => p.Text.StartsWith(wordToComplete, StringComparison.Ordinal))
            .Select(p => new CompletionResult(p.Text, p.Text, CompletionResultType.ParameterValue,
                $"{p.Proxy.State}: {string.Join(", ", p.Proxy.Listeners.Select(l => l.ToString()))}"))
            .ToList();
}
