import Foundation
@testable import Serve
import Testing

/// Bodies Foundation's JSON decoder would accept but JSON does not allow: refused with 400 "not valid JSON: ...".
@Suite(.serialized) struct StrictJSONTests {
    /// A body and a word the error must contain.
    static let invalid: [(body: [UInt8], says: String)] = [
        (Array(#"{"steps": 2,}"#.utf8), "trailing comma"),
        (Array(#"{"classes": [0, 1,], "steps": 2}"#.utf8), "trailing comma"),
        ([0xEF, 0xBB, 0xBF] + Array(#"{"steps": 2}"#.utf8), "byte-order mark"),
        (Array(#"{"steps": 2, "steps": 500}"#.utf8), "twice"),
        (Array(#"{"steps": 2, "st\u0065ps": 3}"#.utf8), "twice"),
        (Array(#"{"classes": ["circle", {"a": 1, "a": 2}]}"#.utf8), "twice"),
        (Array(#"{"class": "\ud800"}"#.utf8), "surrogate"),
        (Array(#"{"class": "\udc00x"}"#.utf8), "surrogate"),
        (Array(#"{"class": "\ud83dx"}"#.utf8), "surrogate"),
        (Array(#"{"class": "ci"#.utf8) + [0xFF] + Array(#"rcle"}"#.utf8), "UTF-8"),
        (Array(#"{"class": "ci"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "UTF-8"),
        (Array(#"{"class": "a"#.utf8) + [0x09] + Array(#"b"}"#.utf8), "control character"),
        (Array("{\0\"\0s\0\"\0:\0 \02\0}\0".utf8), "0x00"),
        (Array(#"{'steps': 2}"#.utf8), "unexpected"),
        (Array(#"{"steps": 2"#.utf8), "not valid JSON"),
        (Array(#"{"class": "x\q"}"#.utf8), "escape"),
        (Array(#"{"steps": 01}"#.utf8), "leading zero"),
        (Array(#"{"steps": -007}"#.utf8), "leading zero"),
        (Array(#"{"scale": 1.}"#.utf8), "decimal point"),
        (Array(#"{"scale": .5}"#.utf8), "not a number"),
        (Array(#"{"scale": +1}"#.utf8), "not a number"),
        (Array(#"{"scale": 1e}"#.utf8), "exponent"),
        (Array(#"{"scale": 1-2}"#.utf8), "not a number"),
        (Array(#"{"format": nulll}"#.utf8), "not a number, true, false or null"),
        (Array(#"{"format": tru}"#.utf8), "not a number, true, false or null"),
    ]

    @Test func invalidJSONIsRefusedAsSuch() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        for (body, says) in Self.invalid {
            let shown = String(decoding: body, as: UTF8.self).debugDescription
            let answer = try await client.send("POST", "/v1/generate", body: Data(body))
            #expect(answer.status == 400, "\(shown)")
            let json = try answer.json()
            #expect(json["field"] as? String == "body", "\(shown): \(answer.text)")
            let error = json["error"] as? String ?? ""
            #expect(error.hasPrefix("not valid JSON: "), "\(shown): \(error)")
            #expect(error.contains(says), "\(shown): \(error)")
        }
        // An empty body (an HTTP/1.0 client sending no Content-Length) is named as such.
        for body in ["", " \r\n"] {
            let answer = try await client.send("POST", "/v1/generate", body: Data(body.utf8))
            let error = try answer.json()["error"] as? String ?? ""
            #expect(answer.status == 400 && error.hasPrefix("the body is empty"), "\(answer.text)")
        }
        #expect(server.store.counts.known == 0)
        try await server.stop()
    }

    @Test func validEscapesAndNestingPass() throws {
        // Escapes, a surrogate pair, nested containers, keys repeated in different objects, and strings that
        // look like the things refused.
        for body in [#"{"class": "\u0063ircle", "steps": 2}"#, #"{"class": "\ud83d\ude00"}"#, #"{"classes": [{"a": 1}, {"a": 2}]}"#,
                     #"{"format": "a,}"}"#, #" { "steps" : 2 } "#, #"{"class": "\"\\\/\b\f\n\r\t"}"#, "{}",
                     #"{"a": [0, -0, 10, -1.25, 0.5e-3, 2E+10, 1e5, true, false, null]}"#] {
            #expect(throws: Never.self, "\(body)") { try JSONPreflight.check(Data(body.utf8)) }
        }
        // Values past the preflight are the decoder's and the checks' business (here: a list item that is not a class).
        #expect(throws: APIError.self) { _ = try GenerateRequest.decode(Data(#"{"classes": [{"a": 1}, {"a": 2}]}"#.utf8)) }
        #expect(try GenerateRequest.decode(Data(#"{"class": "\u0063ircle", "steps": 2}"#.utf8)).class == .name("circle"))
    }
}
