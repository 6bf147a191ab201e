import Foundation
import Testing

/// A negative number after a numeric option is that option's value, refused with its range, not "Missing value".
@Suite struct NegativeNumberTests {
    @Test(arguments: [
        (["sample", "MODEL", "--steps", "-1"], "--steps must be in 1...1000, got -1"),
        (["serve", "MODEL", "--port", "-1"], "--port must be in 0...65535, got -1"),
        (["eval", "MODEL", "-n", "-5"], "-5"),
        (["train", "--steps", "-3", "--output", "OUT"], "-3"),
    ])
    func aNegativeValueIsNamedWithItsRange(arguments: [String], message: String) throws {
        let folder = try temporaryFolder()
        let filled = arguments.map { $0 == "MODEL" ? bundledModel : $0 == "OUT" ? folder + "/run" : $0 }
        let result = try runDimr(filled)
        #expect(result.status != 0)
        #expect(!result.error.contains("Missing value"), "\(result.error)")
        #expect(result.error.contains(message), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/run"), "train did work before refusing")
    }
}
