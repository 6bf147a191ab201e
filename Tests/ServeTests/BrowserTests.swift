import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The page in headless Chromium, driven over WebDriver (chromedriver): press Generate, wait for the progress bar
/// to reach 100% and the grid to load, and save a screenshot to .build/test-artifacts/serve-page.png.
///
/// Needs Debian's `chromium` and `chromium-driver` (scripts/setup.sh installs them where apt-get can);
/// without them the test is skipped with that reason.
@Suite(.serialized) struct BrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let available = chromium != nil && driver != nil

    @Test(.enabled(if: available, "chromium and chromedriver are not installed (scripts/setup.sh installs them where apt-get can)"),
          .timeLimit(.minutes(5)))
    func thePageGeneratesAGridWithLiveProgress() async throws {
        let chromium = try #require(Self.chromium), driverPath = try #require(Self.driver)
        // The bundled Fashion-MNIST model, so that the screenshot shows real classes and images.
        let bundled = ServeProcess.packageRoot + "/models/dimr-fmnist-3r.safetensors"
        let folder = try temporaryFolder()
        let server = try ServeProcess([bundled, "--output", folder + "/out"])
        defer { _ = server.stop() }
        let port = try freePort()
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: driverPath)
        // Chromedriver's log (each command and answer with its time) is kept as a test artifact when the test fails.
        let driverLog = folder + "/chromedriver.log"
        driver.arguments = ["--port=\(port)", "--log-path=\(driverLog)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        // SIGKILL: chromedriver started from a test may have SIGTERM blocked (inherited signal mask).
        defer { kill(driver.processIdentifier, SIGKILL); driver.waitUntilExit() }
        let webDriver = try #require(URL(string: "http://127.0.0.1:\(port)"))
        note("browser test: dimr serve on \(server.base), chromedriver on port \(port)")
        let session = try await WebDriverSession(driver: webDriver, chromium: chromium)
        note("browser test: session \(session.id)")
        do {
            try await session.navigate(server.base.absoluteString)
            // Wait for the model description, then ask for 10 steps and press the button like a person.
            try await session.waitFor("return document.querySelectorAll('#classes input').length === 10", seconds: 60)
            // No preview box before there is a preview.
            #expect(try await session.execute("return document.getElementById('preview').hidden") as? Bool == true)
            // A network failure shows on the page.
            _ = try await session.execute("""
                window.realFetch = window.fetch; window.fetch = () => Promise.reject(new TypeError('Failed to fetch')); return true
                """)
            try await session.click("#generate")
            try await session.waitFor("return document.getElementById('error').textContent.includes('cannot reach the server')", seconds: 30)
            _ = try await session.execute("window.fetch = window.realFetch; return true")
            // A seed beyond 2^64 - 1 is refused on the page; the largest is sent exactly (beyond 2^53, which a
            // JavaScript number would round).
            _ = try await session.execute("document.getElementById('seed').value = '18446744073709551616'; return true")
            try await session.click("#generate")
            try await session.waitFor("return document.getElementById('error').textContent.includes('the seed must be')", seconds: 30)
            _ = try await session.execute("""
                document.getElementById('steps').value = 10; document.getElementById('seed').value = '18446744073709551615'; return true
                """)
            try await session.click("#generate")
            try await session.waitFor("""
                const grid = document.getElementById('grid');
                return document.getElementById('progress-text').textContent === '100%' && grid !== null && grid.complete && grid.naturalWidth > 0
                """, seconds: 180)
            let state = try await session.execute("""
                return [document.getElementById('progress').value, document.querySelectorAll('#result .images img').length,
                        document.querySelectorAll('#history .item').length, document.getElementById('preview').src.slice(0, 22),
                        document.getElementById('status').textContent]
                """) as? [Any]
            #expect(state?[0] as? Int == 100)
            #expect(state?[1] as? Int == 40)
            #expect(state?[2] as? Int == 1)
            #expect(state?[3] as? String == "data:image/png;base64,")
            #expect((state?[4] as? String)?.hasPrefix("done: 40 images") == true)
            #expect(try await session.execute("return document.getElementById('preview').hidden") as? Bool == false)
            #expect(try await session.execute("return document.getElementById('error').textContent") as? String == "")
            let id = try #require(try await session.execute("return jobId") as? String)
            let status = try await HTTPClient(server.base).get("/v1/jobs/\(id)")
            #expect(status.text.contains("\"seed\":18446744073709551615,"), "\(status.text)")
            let history = try await session.execute("return document.querySelector('#history .item').textContent") as? String
            #expect(history?.contains("seed 18446744073709551615,") == true, "\(history ?? "")")
            let artifacts = ServeProcess.packageRoot + "/.build/test-artifacts"
            try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
            _ = try await session.execute("window.scrollTo(0, 0); return true")
            let screenshot = try await session.screenshot()
            try screenshot.write(to: URL(fileURLWithPath: artifacts + "/serve-page.png"))
            note("browser test: screenshot saved to \(artifacts)/serve-page.png")
        } catch {
            try? await session.close()
            keepArtifact(driverLog, as: "chromedriver.log")
            throw error
        }
        try await session.close()
    }

    /// Copies `path` into .build/test-artifacts/`name` (best effort: a failing test's diagnostics).
    func keepArtifact(_ path: String, as name: String) {
        let artifacts = ServeProcess.packageRoot + "/.build/test-artifacts"
        try? FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: artifacts + "/" + name)
        try? FileManager.default.copyItem(atPath: path, toPath: artifacts + "/" + name)
        note("browser test: \(name) kept in \(artifacts)")
    }

    /// A port that was free a moment ago (bound to port 0, then released).
    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
