import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long loops poll, so they can finish the
/// checkpoint being written and stop cleanly. A second Ctrl-C exits at once.
public enum Interrupt {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Installs the handlers.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.flag != 0 { _exit(130) }
            Interrupt.flag = 1
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Whether an interrupt was requested.
    public static var requested: Bool { flag != 0 }
}
