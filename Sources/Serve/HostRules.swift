#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Which `Host` and `Origin` headers a request may carry: the server's defence against DNS rebinding (a page of
/// another site whose name was re-pointed at this machine) and against cross-site requests from browsers.
///
/// A request's Host must name an IP address, `localhost`, or the address the server was told to listen on
/// (`--host`); an Origin, when a browser sends one, must name the same host and port as the Host.
struct HostRules: Sendable {
    /// The `--host` value, lower-cased, without a trailing dot.
    let serverHost: String

    /// The `--host` value as given.
    private let serverHostAsGiven: String

    /// Rules for a server started with `--host serverHost`.
    init(serverHost: String) {
        serverHostAsGiven = serverHost
        self.serverHost = Self.normalized(serverHost.hasPrefix("[") && serverHost.hasSuffix("]")
                                          ? String(serverHost.dropFirst().dropLast()) : serverHost)
    }

    /// The hosts allowed, in words, for error messages.
    var allowedDescription: String {
        let own = Self.isIPLiteral(serverHost) || serverHost == "localhost" ? "" : ", or \(serverHostAsGiven) (its --host)"
        return "IP addresses or localhost" + own
    }

    /// Whether a Host header (`host[:port]`) names an allowed host.
    func allows(host header: String) -> Bool {
        guard let (host, _) = Self.split(authority: header) else { return false }
        return Self.isIPLiteral(host) || host == "localhost" || host == serverHost
    }

    /// Whether a browser's Origin (`scheme://host[:port]`) names the same host and port as the Host header.
    /// A Host without a port matches the origin's default port (80 for http, 443 for https behind a proxy).
    static func origin(_ origin: String, matchesHost hostHeader: String) -> Bool {
        let lowered = origin.lowercased()
        let defaultPort: Int
        let rest: Substring
        if lowered.hasPrefix("http://") {
            defaultPort = 80
            rest = lowered.dropFirst("http://".count)
        } else if lowered.hasPrefix("https://") {
            defaultPort = 443
            rest = lowered.dropFirst("https://".count)
        } else {
            return false   // "null" (sandboxed pages, files) or another scheme
        }
        guard let (originHost, originPort) = split(authority: String(rest)),
              let (host, port) = split(authority: hostHeader) else { return false }
        return originHost == host && (originPort ?? defaultPort) == (port ?? defaultPort)
    }

    /// The host (lower-cased, brackets of an IPv6 literal removed, one trailing dot removed) and port of an
    /// authority `host[:port]` or `[v6]:port`; nil when it is malformed.
    static func split(authority: String) -> (host: String, port: Int?)? {
        let text = authority.trimmingCharacters(in: .whitespaces)
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard isIPv6(String(host)) else { return nil }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let first = parts.first else { return nil }
            host = first
            portText = parts.count == 2 ? parts[1] : nil
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII),
                  let value = Int(portText), (0...65535).contains(value) else { return nil }
            port = value
        }
        let name = normalized(String(host))
        guard !name.isEmpty else { return nil }
        return (name, port)
    }

    /// Whether `host` (without brackets) is an IPv4 or IPv6 address literal.
    static func isIPLiteral(_ host: String) -> Bool {
        isIPv4(host) || isIPv6(host)
    }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    private static func normalized(_ host: String) -> String {
        let lowered = host.lowercased()
        return lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
    }
}
