using System;
using ClusterExpose.Engine.Proxy;
using SharpFuzz;

// ClusterExpose.Fuzz hello|http|response|chunked: one libFuzzer target per parser. The property checked on every
// input: the parser returns a status and never throws; a Complete answer carries its result, any
// other answer none; and a name it hands out either routes (letters, digits, '-', '.', '_') or is
// flagged as unroutable.
string target = args.Length > 0 ? args[0] : "hello";
Fuzzer.LibFuzzer.Run(target switch
{
    "http" => FuzzHttp,
    "response" => FuzzResponse,
    "chunked" => FuzzChunked,
    _ => FuzzHello,
});

static void FuzzResponse(ReadOnlySpan<byte> data)
{
    if (HttpResponseHeadParser.Parse(data, 64 * 1024, out HttpResponseHead head) == HttpResponseStatus.Complete && head.HeadLength > data.Length)
    {
        throw new InvalidOperationException("response head longer than the input");
    }
}

// The body in two pieces split at its first byte's value: the scanner must never take more than it was given.
static void FuzzChunked(ReadOnlySpan<byte> data)
{
    var scanner = default(ChunkedScanner);
    int split = data.IsEmpty ? 0 : data[0] % (data.Length + 1);
    if (scanner.Advance(data.Slice(0, split), out int first) == ChunkedStatus.NeedMore)
    {
        scanner.Advance(data.Slice(split), out int second);
        if (second > data.Length - split)
        {
            throw new InvalidOperationException("the scanner took more than it was given");
        }
    }

    if (first > split)
    {
        throw new InvalidOperationException("the scanner took more than it was given");
    }
}

static void FuzzHello(ReadOnlySpan<byte> data)
{
    ClientHelloStatus status = ClientHelloParser.Parse(data, ClientHelloParser.MaxAllowedHelloBytes, out ClientHelloInfo? info);
    if ((status == ClientHelloStatus.Complete) != (info is not null))
    {
        throw new InvalidOperationException($"status {status} with info {(info is null ? "absent" : "present")}");
    }

    if (info?.ServerName is string name && !info.ServerNameUnroutable)
    {
        Check(name);
    }
}

static void FuzzHttp(ReadOnlySpan<byte> data)
{
    HttpHeadStatus status = HttpRequestHeadParser.Parse(data, HttpRequestHeadParser.DefaultMaxHeadBytes, out HttpRequestHead? head);
    if ((status == HttpHeadStatus.Complete) != (head is not null))
    {
        throw new InvalidOperationException($"status {status} with head {(head is null ? "absent" : "present")}");
    }

    if (head is not null && !head.HostUnroutable)
    {
        Check(head.Host);
        if (head.HeadLength > data.Length)
        {
            throw new InvalidOperationException("head longer than the input");
        }
    }
}

static void Check(string name)
{
    foreach (char c in name)
    {
        if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' or '_'))
        {
            throw new InvalidOperationException($"routable name with '{c}'");
        }
    }
}
