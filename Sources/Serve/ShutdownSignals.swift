#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// SIGINT and SIGTERM while `dimr serve` runs: the first starts the graceful shut-down, any later one (someone
/// pressing Ctrl-C again because the shut-down seems stuck) ends the process at once.
///
/// The signals' default actions are set aside while it is active and restored by `cancel()`.
final class ShutdownSignals: @unchecked Sendable {
    private let lock = NSLock()
    private let signals: [Int32]
    private var sources: [any DispatchSourceSignal] = []
    private var count = 0

    /// Starts watching `signals`: `first` runs on the first one, `again` on each later one.
    init(signals: [Int32] = [SIGINT, SIGTERM], first: @escaping @Sendable (Int32) -> Void,
         again: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self, source] in
                // Signals that arrive together are delivered once, with their number in `data`.
                let arrived = max(1, Int(source.data))
                guard let self else { return }
                let before = self.lock.withLock {
                    defer { self.count += arrived }
                    return self.count
                }
                if before == 0 { first(number) }
                if before + arrived > 1 { again(number) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops watching and restores the signals' default actions.
    func cancel() {
        lock.withLock {
            for source in sources {
                source.setEventHandler(handler: nil)   // it holds the source
                source.cancel()
            }
            sources.removeAll()
        }
        for number in signals { signal(number, SIG_DFL) }
    }
}
