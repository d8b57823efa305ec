using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ClusterExpose.Commands.Completion;

/// <summary>
/// For a parameter that takes a name being made up (a new exposure, a new Role, a host name to
/// expose): there is nothing to offer, and PowerShell's fallback, the file names of the current
/// folder, would only be wrong. Registering a completer that offers nothing keeps them out.
/// </summary>
public sealed class NewNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Array.Empty<CompletionResult>();
}
