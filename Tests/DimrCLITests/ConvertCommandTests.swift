import Foundation
import Testing
import Torch

/// A file under Tests/<target>/Fixtures.
private func fixture(_ target: String, _ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("\(target)/Fixtures/\(name)").path
}

@Suite struct ConvertCommandTests {
    @Test("dimr convert gives the parity fixtures' weights byte for byte", arguments: [
        ("dimr_tiny2r.pth", "DiMRTests", "tiny2r_tdrmsn.safetensors"),
        ("vae_tiny.pth", "AutoencoderTests", "vae_tiny.safetensors"),
    ])
    func byteIdentical(pth: String, target: String, reference: String) throws {
        let out = try temporaryFolder() + "/converted.safetensors"
        let run = try runDimr(["convert", fixture("DimrCLITests", pth), out])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let converted = try SafeTensorsFile(path: out)
        let expected = try SafeTensorsFile(path: fixture(target, reference))
        let names = expected.names.filter { $0.hasPrefix("model.") }
        #expect(Set(converted.names) == Set(names))
        for name in names {
            #expect(try converted.tensor(name).bytes() == expected.tensor(name).bytes(), "\(name)")
            #expect(converted.entries[name]?.dtype == expected.entries[name]?.dtype)
        }
        #expect(run.output.contains("\(names.count) tensors"))
    }

    @Test("prefixes and nesting are reported; hostile pickles and bad options fail with a message")
    func reportsAndRefuses() throws {
        let dir = try temporaryFolder()
        let nested = try runDimr(["convert", fixture("TorchTests", "pth/nested.pth"), dir + "/n.safetensors"])
        #expect(nested.status == 0)
        #expect(nested.output.contains("under \"model\"") && nested.output.contains("\"module.\""), "\(nested.output)")
        #expect(try SafeTensorsFile(path: dir + "/n.safetensors").names.sorted() == ["model.linear.bias", "model.linear.weight"])

        let hostile = try runDimr(["convert", fixture("TorchTests", "pth/os_system.pth"), dir + "/h.safetensors"])
        #expect(hostile.status == 1)
        #expect(hostile.error.contains("refused") && hostile.error.contains("posix.system"), "\(hostile.error)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/h.safetensors"))

        let sameFile = try runDimr(["convert", dir + "/x.safetensors", dir + "/x.safetensors"])
        #expect(sameFile.status != 0 && sameFile.error.contains("overwrite"))
    }
}
