#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// The child process a benchmark is waiting for, and its temporary files. Foundation starts a child in its own
/// process group, so a terminal's Ctrl-C or a `timeout` reaches only dimr-bench itself: while `watchSignals()` is
/// active, SIGINT or SIGTERM kills the running child first, removes the registered temporary files (and their
/// `.tmp` partial writes), and then ends dimr-bench with status 128 + the signal's number.
final class ChildWatch: @unchecked Sendable {
    static let shared = ChildWatch()
    private let lock = NSLock()
    private var child: Process?
    private var temporaryFiles: Set<String> = []
    private var sources: [any DispatchSourceSignal] = []

    /// Takes over SIGINT and SIGTERM for the rest of the process (once; later calls do nothing).
    func watchSignals() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in
                    if let running = lock.withLock({ child }), running.isRunning { kill(running.processIdentifier, SIGKILL) }
                    for path in lock.withLock({ temporaryFiles }) { unlink(path); unlink(path + ".tmp") }
                    _exit(128 + number)  // not exit(): static destructors (libtorch's) may run while other threads still work
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// The child now running (nil once it has ended).
    func running(_ process: Process?) { lock.withLock { child = process } }

    /// A file to remove if a signal ends dimr-bench (`false`: no longer, it was removed or is kept).
    func temporary(_ path: String, _ registered: Bool = true) {
        lock.withLock { if registered { temporaryFiles.insert(path) } else { temporaryFiles.remove(path) } }
    }
}
