import ArgumentParser
import Pipeline
import Torch

extension Parity {
    /// `dimr parity` on an autoencoder fixture: moments, latent and decoding, one line each.
    func runAutoencoder(on device: Device) throws {
        var fixture = try AutoencoderFixture(path: file)
        fixture.device = device
        print("fixture: \(file)\(device == .cpu ? "" : " on \(device)")")
        print("model: \(AutoencoderParity.summary(fixture))")
        let groups = try AutoencoderParity.run(fixture)
        for group in groups { print(ParityReport.line(group)) }
        let failed = groups.filter { !$0.passed }
        if failed.isEmpty {
            print("parity: ok")
        } else {
            print("parity: FAILED (\(failed.map(\.name).joined(separator: ", ")))")
            throw ExitCode(1)
        }
    }
}
