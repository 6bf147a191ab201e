import Hummingbird
import NIOCore

/// The request context of `dimr serve`: Hummingbird's basic context plus the connection's channel, so that a
/// handler can close a connection whose request body does not arrive in time.
struct ServeContext: RequestContext {
    /// Hummingbird's per-request storage (logger, route parameters).
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
