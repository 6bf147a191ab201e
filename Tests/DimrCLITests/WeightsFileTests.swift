import Foundation
import Testing
import Torch

/// A file under Tests/DimrCLITests/Fixtures.
private func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// How `dimr sample` treats the weights file it is given: format told by bytes, configurations that disagree,
/// weights and samples that are not finite.
@Suite struct WeightsFileTests {
    private func sample(_ model: String, _ root: String, _ extra: [String]) throws -> RunResult {
        try runDimr(["sample", model, "--classes", "0", "--per-class", "1", "--steps", "2", "--output", root + "/out-\(UUID().uuidString)",
                     "--threads", "1"] + extra)
    }

    @Test("the format comes from the bytes: a .pth named .safetensors and a safetensors named .pth both load")
    func formatByBytes() throws {
        let root = try temporaryFolder()
        let renamedPTH = root + "/tiny.safetensors"
        try FileManager.default.copyItem(atPath: fixture("dimr_tiny2r.pth"), toPath: renamedPTH)
        let pth = try sample(renamedPTH, root, ["--config", fixture("dimr_tiny2r.json")])
        #expect(pth.status == 0, "\(pth.error)")
        let renamedSafeTensors = root + "/bundled.pth"
        try FileManager.default.copyItem(atPath: bundledModel, toPath: renamedSafeTensors)
        let safe = try sample(renamedSafeTensors, root, [])
        #expect(safe.status == 0, "\(safe.error)")
    }

    @Test("a folder, an empty file and a file in no known format are refused in plain words")
    func notWeights() throws {
        let root = try temporaryFolder()
        let folder = try sample(root, root, [])
        #expect(folder.status != 0 && folder.error.contains("is a folder"), "\(folder.error)")
        let text = root + "/notes.safetensors"
        try Data("hello, weights".utf8).write(to: URL(fileURLWithPath: text))
        let garbage = try sample(text, root, [])
        #expect(garbage.status != 0 && garbage.error.contains("neither safetensors nor a PyTorch checkpoint"), "\(garbage.error)")
        let empty = root + "/empty.pth"
        try Data().write(to: URL(fileURLWithPath: empty))
        let none = try sample(empty, root, [])
        #expect(none.status != 0 && none.error.contains("neither safetensors nor a PyTorch checkpoint"), "\(none.error)")
        let legacy = root + "/legacy.pth"
        try Data([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20]).write(to: URL(fileURLWithPath: legacy))
        let old = try sample(legacy, root, [])
        #expect(old.status != 0 && old.error.contains("legacy"), "\(old.error)")
    }

    @Test("--preset that contradicts the configuration a file records is refused; the same one is accepted")
    func presetConflict() throws {
        let root = try temporaryFolder()
        let conflict = try sample(bundledModel, root, ["--preset", "DiMR-XL/2R"])
        #expect(conflict.status != 0 && conflict.error.contains("records its own model configuration"), "\(conflict.error)")
        let same = try sample(bundledModel, root, ["--preset", "fmnist-3r"])
        #expect(same.status == 0, "\(same.error)")
    }

    @Test("a NaN weight is refused by name before sampling; a guidance scale beyond float32's range is refused")
    func nonFinite() throws {
        let root = try temporaryFolder()
        let file = try SafeTensorsFile(path: bundledModel)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        let victim = try #require(file.names.filter { $0.hasSuffix(".weight") }.sorted().first)
        tensors[victim] = try #require(tensors[victim]) * Double.nan
        let poisoned = root + "/nan.safetensors"
        try SafeTensors.save(tensors, metadata: file.metadata, to: poisoned)
        let nan = try sample(poisoned, root, [])
        #expect(nan.status != 0 && nan.error.contains("holds") && nan.error.contains("NaN"), "\(nan.error)")

        let overflow = try sample(bundledModel, root, ["--scale", "1e300"])
        #expect(overflow.status != 0 && overflow.error.contains("--scale must be a finite number in"), "\(overflow.error)")
    }
}
