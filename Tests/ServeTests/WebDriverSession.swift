import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A W3C WebDriver session with headless Chromium through chromedriver, over plain HTTP + JSON.
struct WebDriverSession {
    let driver: URL
    let id: String
    /// The W3C key of an element reference.
    static let elementKey = "element-6066-11e4-a01c-4e4f-ad3d-6fd6c3ad0c4f"

    /// Waits for chromedriver to be ready, then starts a headless session.
    init(driver: URL, chromium: String) async throws {
        self.driver = driver
        let deadline = Date().addingTimeInterval(30)
        while true {
            if let status = try? await Self.call(driver, "GET", "/status"), (status as? [String: Any])?["ready"] as? Bool == true { break }
            guard Date() < deadline else { throw TestFailure("chromedriver did not become ready") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": ["binary": chromium,
                                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]],
        ]]]
        let value = try await Self.call(driver, "POST", "/session", capabilities) as? [String: Any]
        guard let id = value?["sessionId"] as? String else { throw TestFailure("no WebDriver session: \(String(describing: value))") }
        self.id = id
    }

    /// One WebDriver command; returns its `value`.
    @discardableResult
    static func call(_ driver: URL, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        guard let url = URL(string: path, relativeTo: driver) else { throw TestFailure("bad WebDriver path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 120
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw TestFailure("WebDriver \(method) \(path) failed: \(String(decoding: data, as: UTF8.self))")
        }
        return object?["value"] ?? nil
    }

    @discardableResult
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
        guard let reference = element?[Self.elementKey] as? String else { throw TestFailure("no element \(selector)") }
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
