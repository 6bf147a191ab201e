import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long loops poll, so they can finish the
/// checkpoint being written and stop cleanly. A second Ctrl-C exits at once (status 128 + its number).
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Installs the handlers, and unblocks the two signals: a process started by a parent that blocks them
    /// (as threads of Foundation's `Process` users do) inherits the blocked mask and would never see Ctrl-C.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { number in
            if Interrupt.flag != 0 { _exit(128 + number) }
            Interrupt.flag = number
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

    /// The signal that requested it (SIGINT or SIGTERM), nil before any; a command that stops for it exits
    /// with status 128 + this number (130, 143), as a shell reports a process killed by it.
    public static var receivedSignal: Int32? { flag != 0 ? Int32(flag) : nil }

    /// The exit status of a command that stopped for the interrupt: 128 + the signal's number (130 for SIGINT,
    /// 143 for SIGTERM), 130 when none came.
    public static var exitStatus: Int32 { 128 + (receivedSignal ?? SIGINT) }
}
