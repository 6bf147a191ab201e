import Foundation

/// A wrong command line.
struct UsageError: Error {
    let message: String
}

/// Minimal `--name value` / `--flag` option parsing shared by the benchmarks.
struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `arguments` against the known value options and flags; `--help` prints `help` and exits.
    init(_ arguments: [String], valueOptions: Set<String>, flagOptions: Set<String>, help: String) throws {
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--help" || arg == "-h" {
                print(help, terminator: "")
                exit(0)
            } else if flagOptions.contains(arg) {
                flags.insert(arg)
            } else if valueOptions.contains(arg) {
                guard i + 1 < arguments.count else { throw UsageError(message: "\(arg) needs a value") }
                values[arg] = arguments[i + 1]
                i += 1
            } else {
                throw UsageError(message: "unknown option \(arg)\n\n\(help)")
            }
            i += 1
        }
    }

    /// Whether a flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// A string option, if given.
    func string(_ name: String) -> String? { values[name] }

    /// A positive integer option, or `defaultValue`.
    func int(_ name: String, default defaultValue: Int) throws -> Int {
        guard let text = values[name] else { return defaultValue }
        guard let value = Int(text), value > 0 else { throw UsageError(message: "\(name) needs a positive integer, got \(text)") }
        return value
    }
}

/// Monotonic time in nanoseconds (the clock std::chrono::steady_clock reads).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Nanoseconds per call of `body` over `iterations` calls, after the same warm-up as the C++ loops.
@inline(__always)
func timeLoop(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<min(iterations / 10 + 1, 1000) { try body() }
    let start = monotonicNanoseconds()
    for _ in 0..<iterations { try body() }
    return Double(monotonicNanoseconds() - start) / Double(iterations)
}

/// The median of a non-empty list.
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// `n` and the noun, plural unless `n` is 1: "1 thread", "5 interleaved repeats".
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// Rounds for JSON output.
func rounded(_ x: Double, _ digits: Int = 4) -> Double {
    let scale = Foundation.pow(10, Double(digits))
    return (x * scale).rounded() / scale
}

/// The resident set size of this process in KiB (VmRSS in /proc/self/status), nil where unavailable.
func residentKiB() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    return nil
}

/// Prints a JSON object with sorted keys.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Looks for `relative` in the current directory, the executable's directory and their parents.
func findUpwards(_ relative: String) -> String? {
    var starts = [FileManager.default.currentDirectoryPath]
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path)
    }
    for start in starts {
        var dir = URL(fileURLWithPath: start)
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
    }
    return nil
}

/// The Python used for baselines: $DIMR_BENCH_PYTHON, else the nearest `.venv/bin/python`.
func findPython() -> String? {
    if let configured = ProcessInfo.processInfo.environment["DIMR_BENCH_PYTHON"], !configured.isEmpty { return configured }
    return findUpwards(".venv/bin/python")
}

/// The peak resident set size of this process in KiB (VmHWM in /proc/self/status), nil where unavailable.
func peakResidentKiB() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    return nil
}

/// Resets VmHWM to the current resident size (writes 5 to /proc/self/clear_refs, Linux 4.0 and later);
/// false where the kernel refuses, and peaks read afterwards are then those of the whole process.
@discardableResult
func resetPeakResident() -> Bool {
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return write(fd, "5", 1) == 1
}

/// Runs `executable` with `arguments` (stderr passed through) and parses the last line of its stdout as a JSON object.
func runJSONProcess(_ executable: String, _ arguments: [String], what: String) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    ChildWatch.shared.running(process)
    defer { ChildWatch.shared.running(nil) }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw UsageError(message: "\(what) failed (exit \(process.terminationStatus))")
    }
    guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { throw UsageError(message: "\(what) printed no JSON object") }
    return object
}

/// The 1, 5 and 15 minute load averages (/proc/loadavg): other work on a shared machine slows timings.
func loadAverage() -> [Double] {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
    return text.split(separator: " ").prefix(3).compactMap { Double($0) }
}

/// CPU seconds (user + system, all threads) this process has used so far: unlike wall time, little
/// changed by other processes sharing the cores.
func processCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Hands memory the C heap keeps after frees back to the system (glibc's `malloc_trim(0)`, looked up at run time;
/// nothing where it is absent), so that a peak measured next starts from what is really in use.
func releaseFreedMemory() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(nil, "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
}
