import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1.0 clients and `Connection: close`, which Hummingbird's HTTP/1 server does not see: it reads requests through
/// swift-http-types, which carry no version, and closes a connection after answering only when the request says
/// `Connection: close` in exactly that letter case.
///
/// Without this, an HTTP/1.0 request (a load balancer's health check, `ab`) kept its connection open until the idle
/// timeout, holding one of `--max-connections`, as did `Connection: Close`; and an answer of unknown length (the
/// event stream) went out in chunked transfer coding, which HTTP/1.0 clients do not decode (RFC 9112 section 6.1).
/// Sits between NIO's HTTP/1 decoder, whose request heads still hold their version, and the conversion to
/// swift-http-types:
/// - inbound, a request whose connection is not kept gets `Connection: close`, written exactly so; HTTP/1.0
///   connections are never kept (a server may always close; the answer carries no `keep-alive`);
/// - outbound, the answer to an HTTP/1.0 request is labelled HTTP/1.0, so NIO's encoder sends a body of unknown
///   length as it comes, ended by the close, not chunked. Answers are matched to requests in order (HTTP/1
///   pipelining); interim 1xx answers are passed through.
final class HTTP10ConnectionClose: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The versions of the requests not yet answered, oldest first.
    private var versions: CircularBuffer<HTTPVersion> = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        versions.append(head.version)
        if !Self.keepsAlive(head) && head.headers["connection"] != ["close"] {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200, let version = versions.popFirst() else {
            context.write(data, promise: promise)
            return
        }
        if !Self.atLeastHTTP11(version) {
            head.version = version
            head.headers.remove(name: "transfer-encoding")
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }

    /// Whether the connection of this request is kept: not when its `Connection` tokens (any letter case) say
    /// `close`, never for HTTP/1.0 or older, else (HTTP/1.1 and later) yes.
    static func keepsAlive(_ head: HTTPRequestHead) -> Bool {
        if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) { return false }
        return atLeastHTTP11(head.version)
    }

    private static func atLeastHTTP11(_ v: HTTPVersion) -> Bool { v.major > 1 || (v.major == 1 && v.minor >= 1) }
}

/// Hummingbird's HTTP/1 child channel with `HTTP10ConnectionClose` right after NIO's request decoder.
struct DimrHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(HTTP10ConnectionClose(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// `.http1(configuration:)` with `HTTP10ConnectionClose` (`DimrHTTP1Channel`).
    static func dimrHTTP1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in DimrHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration)) }
    }
}
