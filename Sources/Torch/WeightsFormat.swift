import Foundation

/// The format of a weights file, told from its first bytes rather than its name.
///
/// - `pytorchZip`: `torch.save`'s zip format (torch 1.6 and later), starting with a zip local header `PK\3\4`.
/// - `pytorchLegacy`: the pre-1.6 pickle format (starts with the pickle PROTO opcode 0x80 and is not safetensors);
///   not readable here.
/// - `safeTensors`: an 8-byte little-endian header length followed by a JSON header starting with `{`.
public enum WeightsFormat: String, Sendable {
    case pytorchZip = "PyTorch zip (torch.save)"
    case pytorchLegacy = "legacy PyTorch pickle"
    case safeTensors = "safetensors"

    /// The format of the file at `path`, from its first 9 bytes.
    /// - Throws: `TorchError` naming the file when it cannot be opened or its first bytes match no format.
    public static func detect(path: String) throws -> WeightsFormat {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TorchError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 9)
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 9) }
        guard got >= 0 else { throw TorchError("cannot read \(path): \(String(cString: strerror(errno)))") }
        let head = Data(bytes.prefix(got))
        if let format = detect(head: head) { return format }
        throw TorchError("\(path) is neither safetensors nor a PyTorch checkpoint (its first bytes are \(head.map { String(format: "%02x", $0) }.joined(separator: " ")))")
    }

    /// The format whose signature `head` (a file's first bytes, at least 9 for safetensors) starts with, or nil.
    public static func detect(head: Data) -> WeightsFormat? {
        let bytes = [UInt8](head.prefix(9))
        if bytes.starts(with: [0x50, 0x4b, 0x03, 0x04]) { return .pytorchZip }
        // safetensors before the pickle check: a header length whose low byte is 0x80 (one file in 256) also starts
        // with 0x80. A legacy file's ninth byte is inside its pickled magic number, never `{`.
        if bytes.count == 9, bytes[8] == UInt8(ascii: "{") { return .safeTensors }
        if bytes.first == 0x80 { return .pytorchLegacy }
        return nil
    }
}
