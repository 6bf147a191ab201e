import Foundation
import Testing
@testable import DimrFuzz

/// Replays every input `make fuzz` kept (its corpus and each crash it found) through the readers,
/// without the fuzzer: any trap or abort fails the test run. Inputs live in Tests/FuzzCorpus/<target>/.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzCorpus")

    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.path < $1.path }
    }

    @Test("every reader has a corpus", arguments: FuzzTarget.allCases)
    func corpusExists(target: FuzzTarget) throws {
        #expect(try Self.inputs(target).count > 0, "Tests/FuzzCorpus/\(target.rawValue) is empty")
    }

    @Test("every kept input gives an error or a value, never a crash", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        for url in try Self.inputs(target) {
            let bytes = try [UInt8](Data(contentsOf: url))
            _ = target.run(bytes)
        }
    }
}
