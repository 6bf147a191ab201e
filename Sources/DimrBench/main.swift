// dimr-bench: benchmarks printed as JSON. `dimr-bench [BENCHMARK] [options]`; the default benchmark is `ops`.
import Foundation

/// A benchmark the executable can run.
struct BenchmarkCommand {
    let name: String
    let summary: String
    let run: ([String]) throws -> Void
}

let commands: [BenchmarkCommand] = [
    BenchmarkCommand(name: "ops", summary: OpsBenchmark.summary, run: { try OpsBenchmark(arguments: $0).run() }),
    BenchmarkCommand(name: "model", summary: ModelBenchmark.summary, run: { try ModelBenchmark(arguments: $0).run() }),
    BenchmarkCommand(name: "memory", summary: MemoryBenchmark.summary, run: { try MemoryBenchmark(arguments: $0).run() }),
    BenchmarkCommand(name: "large", summary: LargeBenchmark.summary, run: { try LargeBenchmark(arguments: $0).run() }),
    BenchmarkCommand(name: "profile", summary: ProfileBenchmark.summary, run: { try ProfileBenchmark(arguments: $0).run() }),
    BenchmarkCommand(name: "features", summary: FeaturesBenchmark.summary, run: { try FeaturesBenchmark(arguments: $0).run() }),
]

@MainActor func usage() -> String {
    var text = "usage: dimr-bench [BENCHMARK] [options]   (default: ops)\n\nbenchmarks:\n"
    for c in commands { text += "  \(c.name.padding(toLength: 8, withPad: " ", startingAt: 0))\(c.summary)\n" }
    text += "\nRun `dimr-bench BENCHMARK --help` for its options.\n"
    return text
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--help" || arguments.first == "-h" || arguments.first == "help" {
    print(usage(), terminator: "")
    exit(0)
}
let name = arguments.first.flatMap { $0.hasPrefix("-") ? nil : $0 } ?? "ops"
if !arguments.isEmpty, !arguments[0].hasPrefix("-") { arguments.removeFirst() }
guard let command = commands.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("dimr-bench: unknown benchmark \(name)\n\n\(usage())".utf8))
    exit(2)
}
ChildWatch.shared.watchSignals()  // Ctrl-C or a timeout stops the child a benchmark is waiting for, too
do {
    try command.run(arguments)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("dimr-bench \(name): \(error.message)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("dimr-bench \(name): \(error)\n".utf8))
    exit(1)
}
