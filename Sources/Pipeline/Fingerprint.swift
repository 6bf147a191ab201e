/// FNV-1a over 64-bit words (bytes for the tail): a fingerprint, not a cryptographic hash.
struct Fingerprint {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Mixes `bytes` in.
    mutating func add(_ bytes: [UInt8]) {
        let prime: UInt64 = 0x0000_0100_0000_01b3
        var h = state
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0..<words {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime
            }
            for i in (words * 8)..<raw.count { h = (h ^ UInt64(raw[i])) &* prime }
        }
        state = (h ^ UInt64(bytes.count)) &* prime
    }

    /// The state as 16 hexadecimal digits.
    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
