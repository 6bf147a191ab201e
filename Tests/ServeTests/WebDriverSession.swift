import Foundation
import TestSupport

/// A W3C WebDriver session with headless Chromium through chromedriver, over plain HTTP + JSON.
///
/// The exchanges go through `RawConnection`: URLSession on Linux rejects chromedriver's header lines, which have no
/// space after the colon (`Content-Length:250`: "Failed writing header").
struct WebDriverSession {
    let driver: URL
    let id: String
    /// The W3C key of an element reference.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Waits for chromedriver to be ready, then starts a headless session.
    init(driver: URL, chromium: String) async throws {
        self.driver = driver
        let deadline = Date().addingTimeInterval(30)
        var last = "no answer"
        while true {
            do {
                let status = try await Self.call(driver, "GET", "/status")
                if (status as? [String: Any])?["ready"] as? Bool == true { break }
                last = "\(String(describing: status))"
            } catch {
                last = "\(error)"
            }
            guard Date() < deadline else { throw TestFailure("chromedriver did not become ready: \(last)") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            // Chromedriver answers a page load or script that takes longer with an error, before the test's own
            // 120 s socket timeout, so a slow load can be told apart from a dead driver.
            "timeouts": ["pageLoad": 60_000, "script": 30_000],
            "goog:chromeOptions": ["binary": chromium,
                                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1150"]],
        ]]]
        note("browser test: chromedriver ready, starting headless Chromium")
        let value = try await Self.call(driver, "POST", "/session", capabilities) as? [String: Any]
        guard let id = value?["sessionId"] as? String else { throw TestFailure("no WebDriver session: \(String(describing: value))") }
        self.id = id
    }

    /// One WebDriver command; returns its `value`.
    @discardableResult
    static func call(_ driver: URL, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let port = driver.port ?? 80
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        var head = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)"]
        if data != nil { head.append("Content-Type: application/json") }
        let answer = try await RawConnection.exchange(port: port, head, body: data, seconds: 120)
        let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        guard answer.status == 200 else {
            throw TestFailure("WebDriver \(method) \(path) failed: \(String(decoding: answer.body, as: UTF8.self))")
        }
        return object?["value"] ?? nil
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.call(driver, method, "/session/\(id)\(path)", body)
    }

    func navigate(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }

    /// Runs a script (a function body) in the page and returns its value.
    func execute(_ script: String) async throws -> Any? {
        try await command("POST", "/execute/sync", ["script": script, "args": [] as [Any]])
    }

    /// Polls `script` until it returns true.
    func waitFor(_ script: String, seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try await execute(script) as? Bool != true {
            guard Date() < deadline else { throw TestFailure("timed out waiting in the page for: \(script)") }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Clicks the element `selector` (a CSS selector) as a user would.
    func click(_ selector: String) async throws {
        let element = try await command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let reference = element?[Self.elementKey] as? String else { throw TestFailure("no element \(selector): \(String(describing: element))") }
        try await command("POST", "/element/\(reference)/click", [:])
    }

    /// The page as a PNG.
    func screenshot() async throws -> Data {
        guard let text = try await command("GET", "/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("no screenshot")
        }
        return data
    }

    func close() async throws { try await command("DELETE", "") }
}
