import Foundation

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

#if FUZZING
// Built by `make fuzz` with `--sanitize fuzzer --sanitize address -Xswiftc -DFUZZING`: libFuzzer owns
// `main` and calls these. DIMR_FUZZ_TARGET names the reader.
nonisolated(unsafe) private var selected: FuzzTarget = .png

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = ProcessInfo.processInfo.environment["DIMR_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        printError("dimr-fuzz: set DIMR_FUZZ_TARGET to one of: \(names)")
        exit(2)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected.run(bytes)
    return 0
}
#else
/// Without the fuzzer: `dimr-fuzz TARGET FILE...` replays inputs (a crash found by `make fuzz`,
/// say) through the same code and prints each outcome.
@main
struct ReplayMain {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            printError("usage: dimr-fuzz \(names) FILE...")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("dimr-fuzz: cannot read \(path)")
                exit(1)
            }
            print("\(path): \(target.run([UInt8](data)))")
        }
    }
}
#endif
