import Foundation
import Testing
import Torch

/// The `.pth` files written by scripts/refs/pth_refs.py with torch.save and a hostile pickler.
private func pth(_ name: String) -> String { fixturesDirectory.appendingPathComponent("pth/\(name)").path }

private let expected = Result { try SafeTensorsFile(path: pth("expected.safetensors")) }

/// The message a checkpoint's loading throws, or nil when it loads.
private func loadError(_ name: String) -> String? {
    do {
        _ = try PyTorchCheckpoint(path: pth(name))
        return nil
    } catch {
        return "\(error)"
    }
}

@Suite("PyTorch checkpoints (.pth)")
struct PyTorchCheckpointTests {
    /// Every tensor of `file` equals torch's own in shape, dtype and bytes.
    func expectLoadsAsTorch(_ file: String, names: [String]) throws {
        let checkpoint = try PyTorchCheckpoint(path: pth(file))
        #expect(checkpoint.tensors.map(\.name) == names, "\(file): names and their order")
        for (name, tensor) in checkpoint.tensors {
            let reference = try expected.get().tensor("\(file)/\(name)")
            #expect(tensor.shape == reference.shape, "\(file)/\(name) shape")
            #expect(tensor.dtype == reference.dtype, "\(file)/\(name) dtype")
            #expect(try tensor.contiguous().bytes() == reference.bytes(), "\(file)/\(name) values")
        }
    }

    @Test("every storage type, a scalar and an empty tensor load byte for byte")
    func plainStateDict() throws {
        try expectLoadsAsTorch("plain.pth", names: ["f32", "f16", "bf16", "f64", "i64", "i32", "bool", "u8", "scalar", "empty"])
    }

    @Test("tensors viewing one storage at offsets, transposed and with steps")
    func sharedStorageViews() throws {
        try expectLoadsAsTorch("views.pth", names: ["full", "slice", "transposed", "stepped", "row"])
    }

    @Test("deflated storages load as the stored ones do")
    func deflatedStorages() throws {
        let stored = try PyTorchCheckpoint(path: pth("views.pth")).tensors
        let deflated = try PyTorchCheckpoint(path: pth("deflated.pth")).tensors
        #expect(deflated.map(\.name) == stored.map(\.name))
        for (a, b) in zip(stored, deflated) {
            let (x, y) = (try a.tensor.contiguous().bytes(), try b.tensor.contiguous().bytes())
            #expect(a.tensor.shape == b.tensor.shape && x == y, "\(a.name)")
        }
    }

    @Test("a state dict nested under \"model\" with module. prefixes is found and cleaned")
    func nestedAndPrefixed() throws {
        try expectLoadsAsTorch("nested.pth", names: ["linear.weight", "linear.bias"])
        let checkpoint = try PyTorchCheckpoint(path: pth("nested.pth"))
        #expect(checkpoint.location == ["model"])
        #expect(checkpoint.strippedPrefixes == ["module."])
    }

    @Test("parameters and torch.compile's _orig_mod. prefix")
    func parametersAndCompiledPrefix() throws {
        try expectLoadsAsTorch("compiled.pth", names: ["w", "b"])
        #expect(try PyTorchCheckpoint(path: pth("compiled.pth")).strippedPrefixes == ["_orig_mod."])
    }

    @Test("archives with fewer records and another folder name, as older torch wrote")
    func olderArchiveLayout() throws {
        try expectLoadsAsTorch("old_records.pth", names: ["f32", "f16", "bf16", "f64", "i64", "i32", "bool", "u8", "scalar", "empty"])
    }

    @Test("a checkpoint held in memory loads like the file")
    func fromData() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: pth("views.pth")))
        let checkpoint = try PyTorchCheckpoint(data: data)
        #expect(checkpoint.tensors.count == 5)
    }

    @Test("globals other than the state-dict ones are refused by name before anything runs",
          arguments: [("os_system.pth", "posix.system"), ("builtins_eval.pth", "__builtin__.eval")])
    func refusesOtherGlobals(file: String, global: String) {
        let message = loadError(file)
        #expect(message?.contains("refused") == true && message?.contains(global) == true, "\(message ?? "loaded")")
    }

    @Test("hostile or broken files end in a clear error", arguments: [
        ("bad_offset.pth", "negative storage offset"),
        ("huge_offset.pth", "past the storage's end"),
        ("bad_stride.pth", "negative stride"),
        ("past_end.pth", "more elements than its storage"),
        ("huge_size.pth", "overflow"),
        ("short_storage.pth", "truncated"),
        ("huge_numel.pth", "truncated"),
        ("missing_storage.pth", "missing"),
        ("other_dtype.pth", "ComplexFloatStorage"),
        ("reduce_list.pth", "takes no arguments"),
        ("truncated_pickle.pth", "truncated pickle"),
        ("truncated_storage.pth", "storage 0"),
        ("truncated_zip.pth", "not a valid zip"),
        ("not_a_zip.pth", "not a valid zip"),
        ("no-such-file.pth", "No such file"),
        ("deep_nesting.pth", "nested more than 1000 deep"),
        ("shared_dicts.pth", "the same dict appears in several places"),
        ("expanded_view.pth", "more elements than its storage"),
        ("colliding_names.pth", "two tensors are both named a.b"),
        ("deflated_padded.pth", "over the limit of 96"),
    ])
    func hostileFiles(file: String, words: String) {
        let message = loadError(file)
        #expect(message?.contains(words) == true, "\(file): \(message ?? "loaded")")
        #expect(message?.contains(file) == true, "the error names the file")
    }
}
