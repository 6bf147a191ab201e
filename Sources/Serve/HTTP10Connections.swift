import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Marks a request whose connection is not to be kept alive with `Connection: close`, written exactly so: the one
/// sign Hummingbird's HTTP/1 loop reads (case-sensitively) before it closes a connection after answering.
///
/// An HTTP/1.0 request keeps its connection only when it asks for it (RFC 9112 section 9.3); an HTTP/1.0 client
/// (a load balancer's health check, `ab`) waits for the server to close before it reads the answer as whole.
/// Hummingbird reads the request through swift-http-types, which carry no version, so such a connection stayed
/// open until the idle timeout, holding one of `--max-connections`; so did an HTTP/1.1 `Connection: Close`. Sits between NIO's HTTP/1 decoder, whose
/// request heads still have their version, and the conversion to swift-http-types.
final class HTTP10ConnectionClose: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), !Self.keepsAlive(head), head.headers["connection"] != ["close"] else {
            context.fireChannelRead(data)
            return
        }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// Whether the client keeps the connection: its `Connection` tokens (case-insensitive) say `close` or
    /// `keep-alive`; without either, HTTP/1.1 and later keep it and HTTP/1.0 does not.
    static func keepsAlive(_ head: HTTPRequestHead) -> Bool {
        let tokens = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        if tokens.contains("close") { return false }
        if tokens.contains("keep-alive") { return true }
        return head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
    }
}

/// Hummingbird's HTTP/1 child channel with `HTTP10ConnectionClose` after NIO's request decoder.
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
    /// `.http1(configuration:)` with HTTP/1.0 connections closed after their answer (`DimrHTTP1Channel`).
    static func dimrHTTP1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in DimrHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration)) }
    }
}
