import Foundation
@testable import Serve
import Testing

/// A server starting on an output folder removes the job folders an earlier run left there, and nothing else.
@Suite(.serialized) struct StaleJobsTests {
    @Test func jobFoldersOfAnEarlierRunAreRemovedAndNothingElse() async throws {
        let output = try temporaryFolder() + "/out"
        let manager = FileManager.default
        func write(_ path: String) throws {
            try manager.createDirectory(atPath: (output + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: output + "/" + path))
        }
        // Left by an earlier run: a done job, an npz job, an empty (cancelled while starting) job folder.
        try write("0123456789abcdef01234567/images/00000-class-0.png")
        try write("0123456789abcdef01234567/grid.png")
        try write("89abcdef0123456789abcdef/grid.png")
        try write("89abcdef0123456789abcdef/samples.npz")
        try write("89abcdef0123456789abcdef/images/00001-class-2.png")
        try manager.createDirectory(atPath: output + "/fedcba9876543210fedcba98", withIntermediateDirectories: true)
        // Not job folders: other names, other contents, a file, a link.
        try write("notes/grid.png")
        try write("0123456789ABCDEF01234567/grid.png")
        try write("aaaaaaaaaaaaaaaaaaaaaaaa/grid.png")
        try write("aaaaaaaaaaaaaaaaaaaaaaaa/my-notes.txt")
        try write("bbbbbbbbbbbbbbbbbbbbbbbb/images/readme.txt")
        try write("cccccccccccccccccccccccc")
        try manager.createDirectory(atPath: output + "/elsewhere", withIntermediateDirectories: true)
        try write("elsewhere/grid.png")
        try manager.createSymbolicLink(atPath: output + "/dddddddddddddddddddddddd", withDestinationPath: output + "/elsewhere")

        let server = try await TestServer.start { $0.outputFolder = output }
        let left = Set(try manager.contentsOfDirectory(atPath: output))
        #expect(left.isDisjoint(with: ["0123456789abcdef01234567", "89abcdef0123456789abcdef", "fedcba9876543210fedcba98"]))
        #expect(left.isSuperset(of: ["notes", "0123456789ABCDEF01234567", "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb",
                                     "cccccccccccccccccccccccc", "dddddddddddddddddddddddd", "elsewhere"]))
        #expect(manager.fileExists(atPath: output + "/elsewhere/grid.png"))
        #expect(manager.fileExists(atPath: output + "/aaaaaaaaaaaaaaaaaaaaaaaa/my-notes.txt"))
        // The server's own jobs are kept while it runs (only --keep-jobs forgets them).
        let client = HTTPClient(server.base)
        let id = try await client.generate(["class": 0, "per_class": 1, "steps": 2])
        _ = try await client.waitForEnd(id)
        #expect(manager.fileExists(atPath: output + "/" + id + "/grid.png"))
        try await server.stop()
        // The next server removes them.
        let next = try await TestServer.start { $0.outputFolder = output }
        #expect(!manager.fileExists(atPath: output + "/" + id))
        #expect(manager.fileExists(atPath: output + "/notes/grid.png"))
        try await next.stop()
    }
}
