import Foundation
import ServiceLifecycle

/// The running service group, set once `run` starts.
final class ServiceGroupBox: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?
    func set(_ value: ServiceGroup) { lock.withLock { group = value } }
    func get() -> ServiceGroup? { lock.withLock { group } }
}
