import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long loops poll, so they can finish the
/// checkpoint being written and stop cleanly. A second Ctrl-C exits at once.
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Installs the handlers, and unblocks the two signals: a process started by a parent that blocks them
    /// (as threads of Foundation's `Process` users do) inherits the blocked mask and would never see Ctrl-C.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.flag != 0 { _exit(130) }
            Interrupt.flag = 1
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether an interrupt was requested.
    public static var requested: Bool { flag != 0 }
}
