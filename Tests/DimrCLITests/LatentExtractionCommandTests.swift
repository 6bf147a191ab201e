import Foundation
import Testing
import Torch

/// `dimr extract-latents` interrupted, failing, contended and followed by `dimr train --latents`, as a user meets it.
///
/// To interrupt at a known point without racing the extraction, its standard error is a pipe filled up before it
/// starts: with `--log-every K` its first progress line, written after batch K, blocks there until the test
/// drains the pipe. The test waits until the process is blocked in that write (`/proc/PID/syscall`), signals it,
/// then drains: the extraction finishes the write, sees the request and stops before batch K + 1.
@Suite struct LatentExtractionCommandTests {
    /// The tiny KL autoencoder's weights (4 latent channels, down-sampling 2: moments 8 x 8 x 8 for 16-pixel crops).
    let autoencoder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/vae_tiny.pth").path
    /// A tiny model of 4 x 8 x 8 latents and 3 classes.
    let latentModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tiny-latent.json").path

    /// Two classes of eight files in all, sorted: n01/a.jpg, n01/b.JPEG, n01/bad.jpg (not an image), n01/c.png,
    /// n02/d.jpg, n02/e.jpeg, n02/f.png, n02/g.png.
    func makeFolder(_ root: String) throws -> String {
        let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DatasetsTests/Fixtures/images").path
        let folder = root + "/photos"
        let layout = ["n01/a.jpg": "jpeg_rgb420.jpg", "n01/b.JPEG": "jpeg_gray.jpg", "n01/c.png": "palette4.png",
                      "n02/d.jpg": "jpeg_rgb444.jpg", "n02/e.jpeg": "jpeg_rgb420_progressive.jpg", "n02/f.png": "rgb8_trns.png",
                      "n02/g.png": "gray8_trns.png"]
        for (target, source) in layout {
            let path = folder + "/" + target
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: images + "/" + source, toPath: path)
        }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/n01/bad.jpg"))
        return folder
    }

    /// The command extracting `photos` into `latents`: 16-pixel crops, shards of 3 source files, one image a batch.
    func extractCommand(_ photos: String, _ latents: String, logEvery: Int = 100, skip: Bool = true) -> [String] {
        ["extract-latents", photos, latents, "--autoencoder", autoencoder, "--image-size", "16", "--shard-size", "3",
         "--batch-size", "1", "--threads", "1", "--log-every", String(logEvery)] + (skip ? ["--skip-bad-images"] : [])
    }

    /// The JSON object of `folder/index.json`.
    func index(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/index.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The names and bytes of the files of `folder` that a latent folder is made of (shards and index).
    func contents(_ folder: String) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("shard-") || $0 == "index.json" }
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) })
    }

    @Test("Ctrl-C saves the complete shards and the one in progress and exits 130; rerunning gives the uninterrupted run's files; skipped files are listed")
    func interruptThenContinue() throws {
        let root = try temporaryFolder()
        let photos = try makeFolder(root)
        let reference = root + "/reference"
        let straight = try runDimr(extractCommand(photos, reference))
        #expect(straight.status == 0, "\(straight.output)\(straight.error)")
        #expect(straight.output.contains("8 images in 2 classes"), "\(straight.output)")
        #expect(straight.output.contains("skipped 1 unreadable images"), "\(straight.output)")
        #expect(straight.output.contains("7 images in 3 shards"), "\(straight.output)")
        let finished = try index(reference)
        #expect(finished["complete"] as? Bool == true)
        let skipped = try #require(finished["skipped"] as? [[String: String]])
        #expect(skipped.count == 1)
        #expect(skipped.first?["path"] == "n01/bad.jpg")
        #expect(skipped.first?["reason"]?.contains("neither a PNG nor a JPEG") == true, "\(skipped)")

        // Interrupted after batch 4: shard 0 (files 0-2) is complete, shard 1 holds file 3 of files 3-5.
        let latents = root + "/latents"
        let command = extractCommand(photos, latents, logEvery: 4)
        let stopped = try runBlockedAndSignal(command, signal: SIGINT)
        #expect(stopped.status == 130, "\(stopped.output)\(stopped.error)")
        #expect(stopped.error.contains("interrupted (SIGINT): 4 of 8 images done"), "\(stopped.error)")
        #expect(stopped.error.contains("run the same command again"), "\(stopped.error)")
        let saved = try index(latents)
        #expect(saved["complete"] as? Bool == false)
        #expect(saved["processed"] as? Int == 4)
        #expect((saved["shards"] as? [[String: Any]])?.map { $0["count"] as? Int } == [2])
        let partial = try #require(saved["partial"] as? [String: Any])
        #expect(partial["file"] as? String == "shard-00001.safetensors" && partial["count"] as? Int == 1, "\(partial)")
        #expect(try SafeTensorsFile(path: latents + "/shard-00001.safetensors").tensor("labels").toArray(Int64.self) == [0])
        #expect((saved["skipped"] as? [[String: String]])?.map { $0["path"] } == ["n01/bad.jpg"])

        let continued = try runDimr(command)
        #expect(continued.status == 0, "\(continued.output)\(continued.error)")
        #expect(continued.output.contains("continued an unfinished extraction after image 4 of 8"), "\(continued.output)")
        let expected = try contents(reference)
        #expect(expected.keys.sorted() == ["index.json", "shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"])
        #expect(try contents(latents) == expected, "the continued extraction differs from the uninterrupted one")
        let again = try runDimr(command)
        #expect(again.status == 0 && again.output.contains("complete: nothing to do"), "\(again.output)\(again.error)")
        #expect(try contents(latents) == expected)
    }

    @Test("an unreadable file without --skip-bad-images stops the extraction by name, keeping the images before it; --skip-bad-images continues")
    func badFileStopsAndKeepsWork() throws {
        let root = try temporaryFolder()
        let photos = try makeFolder(root)
        let reference = root + "/reference"
        #expect(try runDimr(extractCommand(photos, reference)).status == 0)
        let latents = root + "/latents"
        let failed = try runDimr(extractCommand(photos, latents, skip: false))
        #expect(failed.status == 1, "\(failed.output)\(failed.error)")
        #expect(failed.error.contains("bad.jpg") && failed.error.contains("--skip-bad-images"), "\(failed.error)")
        let saved = try index(latents)
        #expect(saved["processed"] as? Int == 2 && saved["complete"] as? Bool == false, "\(saved)")
        #expect((saved["partial"] as? [String: Any])?["count"] as? Int == 2, "\(saved)")
        let continued = try runDimr(extractCommand(photos, latents))
        #expect(continued.status == 0, "\(continued.output)\(continued.error)")
        #expect(try contents(latents) == contents(reference), "the continued extraction differs from the uninterrupted one")
    }

    @Test("a running extraction holds its folder: a second one and train --latents are refused; an unfinished folder is refused for training, an old-style index trains")
    func lockAndUnfinishedFolders() throws {
        let root = try temporaryFolder()
        let photos = try makeFolder(root)
        let latents = root + "/latents"
        let command = extractCommand(photos, latents, logEvery: 4)
        let train = ["train", "--latents", latents, "--config", latentModel, "--image-size", "8", "--batch-size", "2",
                     "--steps", "1", "--threads", "1"]
        var refusals: [RunResult] = []
        let stopped = try runBlockedAndSignal(command, signal: SIGTERM) { pid in
            let second = try runDimr(extractCommand(photos, latents))
            #expect(second.status != 0, "\(second.output)")
            #expect(second.error.contains("is in use by another run") && second.error.contains("pid \(pid)"), "\(second.error)")
            refusals.append(try runDimr(train + ["--output", root + "/run-while-running"]))
        }
        #expect(stopped.status == 143, "\(stopped.output)\(stopped.error)")
        #expect(stopped.error.contains("interrupted (SIGTERM)"), "\(stopped.error)")
        let whileRunning = try #require(refusals.first)
        #expect(whileRunning.status != 0)
        #expect(whileRunning.error.contains("being written by a running extraction"), "\(whileRunning.error)")

        let unfinished = try runDimr(train + ["--output", root + "/run-unfinished"])
        #expect(unfinished.status != 0)
        #expect(unfinished.error.contains("unfinished extraction (4 of 8 images done"), "\(unfinished.error)")
        #expect(unfinished.error.contains("running the same dimr extract-latents command again"), "\(unfinished.error)")
        // A refused run leaves no output folder behind (it held only its lock), nor does the one refused while the extraction ran.
        #expect(!FileManager.default.fileExists(atPath: root + "/run-unfinished"))
        #expect(!FileManager.default.fileExists(atPath: root + "/run-while-running"))

        #expect(try runDimr(command).status == 0)
        // The index as written before `complete`, `skipped` and `partial` existed: complete when every file was processed.
        var old = try index(latents)
        for key in ["complete", "skipped", "partial"] { old.removeValue(forKey: key) }
        try JSONSerialization.data(withJSONObject: old).write(to: URL(fileURLWithPath: latents + "/index.json"))
        let trained = try runDimr(train + ["--output", root + "/run-old-index"])
        #expect(trained.status == 0, "\(trained.output)\(trained.error)")
        #expect(FileManager.default.fileExists(atPath: root + "/run-old-index/checkpoints/step-00000001.safetensors"))
        // An old-style index of an interrupted extraction (fewer files processed than listed) is unfinished.
        old["processed"] = 3
        old["shards"] = [["file": "shard-00000.safetensors", "count": 2]]
        try JSONSerialization.data(withJSONObject: old).write(to: URL(fileURLWithPath: latents + "/index.json"))
        let oldUnfinished = try runDimr(train + ["--output", root + "/run-old-unfinished"])
        #expect(oldUnfinished.status != 0 && oldUnfinished.error.contains("unfinished extraction (3 of 8"), "\(oldUnfinished.error)")
    }

    /// Runs `dimr` with a full standard-error pipe, waits until it blocks writing its first progress line, calls
    /// `whileBlocked` with its pid, sends `signal` and lets it finish.
    func runBlockedAndSignal(_ arguments: [String], signal: Int32, whileBlocked: (Int32) throws -> Void = { _ in }) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try dimrExecutable())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_NUM_THREADS"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        try fill(err)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let pid = process.processIdentifier
        let blocked = waitFor(seconds: 300) { !process.isRunning || isWritingStandardError(pid) }
        try #require(blocked && process.isRunning, "dimr did not block on its first progress line (running: \(process.isRunning))")
        try whileBlocked(pid)
        kill(pid, signal)
        let error = try err.fileHandleForReading.readToEnd() ?? Data()
        let output = try out.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return RunResult(status: process.terminationStatus, pid: pid, output: String(decoding: output, as: UTF8.self),
                         error: String(decoding: error.drop { $0 == UInt8(ascii: ".") }, as: UTF8.self))
    }

    /// Fills `pipe` up with dots, so that the next write to it blocks until it is read.
    func fill(_ pipe: Pipe) throws {
        let fd = pipe.fileHandleForWriting.fileDescriptor
        let flags = fcntl(fd, F_GETFL)
        guard fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw CLIError("cannot make the pipe non-blocking") }
        let dots = [UInt8](repeating: UInt8(ascii: "."), count: 4096)
        while write(fd, dots, dots.count) > 0 {}
        while write(fd, dots, 1) > 0 {}   // the last partly filled page
        guard fcntl(fd, F_SETFL, flags) == 0 else { throw CLIError("cannot make the pipe blocking again") }
    }
}

/// Whether the main thread of process `pid` is in a `write` to its standard error (Linux `/proc/PID/syscall`).
private func isWritingStandardError(_ pid: Int32) -> Bool {
    #if arch(x86_64)
    let writes: Set<Substring> = ["1", "20"]   // write, writev
    #elseif arch(arm64)
    let writes: Set<Substring> = ["64", "66"]
    #else
    let writes: Set<Substring> = []
    #endif
    let fd = open("/proc/\(pid)/syscall", O_RDONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buffer, buffer.count)
    guard n > 0 else { return false }
    let fields = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ")
    return fields.count > 1 && writes.contains(fields[0]) && fields[1] == "0x2"
}
