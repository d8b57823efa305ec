using ClusterExpose.Engine.Proxy.Transport;

namespace ClusterExpose.Engine.Tests.Proxy;

// Every routing, fault and HTTP session test again with the connections on the runtime's sockets:
// the engine the proxy uses where its own epoll loop cannot run (not Linux), so both stay proven.

/// <summary>The routing tests on the runtime's sockets.</summary>
public sealed class ProxyRoutingOnRuntimeSocketsTests : ProxyRoutingTests
{
    protected override SocketEngineKind Engine => SocketEngineKind.Runtime;
}

/// <summary>The fault tests on the runtime's sockets.</summary>
public sealed class ProxyFaultOnRuntimeSocketsTests : ProxyFaultTests
{
    protected override SocketEngineKind Engine => SocketEngineKind.Runtime;
}

/// <summary>The HTTP session tests on the runtime's sockets.</summary>
public sealed class HttpPerRequestOnRuntimeSocketsTests : HttpPerRequestTests
{
    protected override SocketEngineKind Engine => SocketEngineKind.Runtime;
}
