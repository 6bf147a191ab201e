import Foundation

/// A PyTorch checkpoint written by `torch.save` (the zip format of torch 1.6 and later).
///
/// The file is a zip archive whose entries sit under one top folder (its name varies): `data.pkl`, a
/// pickle of the saved object, and `data/<key>`, one entry per storage; `byteorder`, `version` and
/// other records may be there or not. The pickle runs in a restricted unpickler (`PickleMachine`):
/// only state dicts of tensors load, as with `torch.load(weights_only=True)`.
///
/// The file is mapped and each storage copied once into its tensor, a chunk at a time with each chunk's
/// pages released once copied, so a 2 GB checkpoint needs its tensors' memory and not a second copy of
/// the file (nor of its largest storage). The zip is read by `ZipReader`, which checks every field
/// against the bytes present. Errors name the file and what is wrong with it; nothing is allocated
/// from a size the archive has not proven.
public struct PyTorchCheckpoint {
    /// The state dict's tensors by name, in the order the pickle stores them.
    public let tensors: [(name: String, tensor: Tensor)]
    /// Where the state dict sat inside the saved object (e.g. `["model"]`); empty when the file is one.
    public let location: [String]
    /// Prefixes removed from every name (`module.` from DataParallel, `_orig_mod.` from torch.compile).
    public let strippedPrefixes: [String]

    /// The tensors as a dictionary.
    public var stateDict: [String: Tensor] { Dictionary(tensors, uniquingKeysWith: { first, _ in first }) }

    /// Reads the checkpoint at `path` (mapped, not copied).
    ///
    /// - Throws: `TorchError` naming the file when it is not a zip, lacks `data.pkl` or a storage,
    ///   names a global other than the state-dict ones, or describes a tensor outside its storage.
    public init(path: String) throws {
        try self.init(path: path, copyChunk: ArchiveReader.defaultCopyChunk)
    }

    /// Reads the checkpoint at `path`, copying its storages `copyChunk` bytes at a time (tests use small chunks).
    init(path: String, copyChunk: Int) throws {
        let zip: ZipReader
        do {
            zip = try ZipReader(path: path)
        } catch let error as TorchError {
            throw TorchError("cannot read PyTorch checkpoint \(path): \(Self.plain(error.message, path: path))")
        }
        var reader = ArchiveReader(zip: zip, isMapped: true, what: path)
        reader.copyChunk = copyChunk
        try self.init(reader: reader)
    }

    /// Reads a checkpoint held in memory (tests and the fuzzer).
    public init(data: Data, what: String = "PyTorch checkpoint") throws {
        let zip: ZipReader
        do {
            zip = try ZipReader(data: data, name: what)
        } catch let error as TorchError {
            throw TorchError("cannot read PyTorch checkpoint \(what): \(Self.plain(error.message, path: what))")
        }
        try self.init(reader: ArchiveReader(zip: zip, isMapped: false, what: what))
    }

    /// The zip reader's message without the path it starts with, noting the legacy format.
    private static func plain(_ message: String, path: String) -> String {
        var reason = message
        for prefix in [path + ": ", "cannot read " + path + ": "] where reason.hasPrefix(prefix) {
            reason = String(reason.dropFirst(prefix.count))
        }
        guard reason.contains("not a valid zip") else { return reason }
        return reason + " (torch.save writes a zip archive since PyTorch 1.6; older files must be re-saved)"
    }

    private init(reader: ArchiveReader) throws {
        let what = reader.what
        let (prefix, pickleEntry) = try reader.findPickle()
        let pickle = try reader.pickle(pickleEntry)
        let root = try PickleMachine.load(pickle, what: "\(what): data.pkl")
        let found = try StateDictSearch.find(in: root, what: what)
        var storages: [String: Tensor] = [:]
        var tensors: [(String, Tensor)] = []
        for (name, view) in found.tensors {
            let storage: Tensor
            if let loaded = storages[view.storage.key] {
                storage = loaded
            } else {
                storage = try reader.storage(view.storage, prefix: prefix)
                storages[view.storage.key] = storage
            }
            tensors.append((name, try Self.materialize(view, from: storage)))
        }
        (self.tensors, self.strippedPrefixes) = StateDictSearch.stripPrefixes(tensors)
        // Nested dicts are joined with dots, so {"a.b": x, "a": {"b": y}} would give two tensors one name.
        var seen = Set<String>()
        for (name, _) in self.tensors where !seen.insert(name).inserted {
            throw TorchError("\(what): two tensors are both named \(name) (a nested dict's path collides with a dotted key)")
        }
        location = found.location
    }

    /// Runs a `data.pkl` in the restricted unpickler and returns the object it describes.
    ///
    /// - Throws: `TorchError` for a global other than the state-dict ones, a malformed or truncated pickle.
    public static func unpickle(_ bytes: [UInt8], what: String = "pickle") throws -> PickleValue {
        try PickleMachine.load(bytes, what: what)
    }

    /// The tensor a view describes: the storage itself reshaped when the view covers it in order,
    /// otherwise a contiguous copy of the strided view.
    private static func materialize(_ view: PickleTensor, from storage: Tensor) throws -> Tensor {
        let count = view.shape.reduce(1, *)   // checked by TensorView.check
        var contiguous = true
        var expected = 1
        for (size, stride) in zip(view.shape, view.strides).reversed() where size != 1 {
            if stride != expected { contiguous = false }
            expected *= size
        }
        if view.offset == 0, count == view.storage.count, contiguous {
            return try storage.reshape(view.shape)
        }
        // A copy of its own, so that a small view does not keep a large storage alive.
        let copy = try Tensor.empty(view.shape, dtype: view.storage.dtype)
        try copy.copy_(storage.asStrided(view.shape, strides: view.strides, offset: view.offset))
        return copy
    }
}
