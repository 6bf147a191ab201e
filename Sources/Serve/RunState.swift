import Foundation
import ServiceLifecycle

/// What `DimrServer.run` shares with `shutdown` and its callbacks: the running service group, whether the
/// HTTP server is listening, and whether a shut-down was asked for.
final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?
    private var listening = false
    private var stopping = false

    /// The service group of the current run.
    var serviceGroup: ServiceGroup? {
        get { lock.withLock { group } }
        set { lock.withLock { group = newValue } }
    }

    /// Whether the HTTP server has bound its address.
    var isListening: Bool {
        get { lock.withLock { listening } }
        set { lock.withLock { listening = newValue } }
    }

    /// Whether a shut-down was asked for (by a signal or `shutdown()`).
    var isStopping: Bool {
        get { lock.withLock { stopping } }
        set { lock.withLock { stopping = newValue } }
    }
}
