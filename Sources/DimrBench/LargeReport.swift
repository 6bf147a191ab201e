import Foundation

/// Ratios and the human-readable table of `dimr-bench large`, computed from the children's JSON objects.
enum LargeReport {
    /// The number at `path` inside nested JSON dictionaries, nil where anything is missing or not a number.
    static func number(_ object: Any?, _ path: String...) -> Double? {
        var current = object
        for key in path { current = (current as? [String: Any])?[key] }
        return (current as? NSNumber)?.doubleValue
    }

    /// `ours / theirs` rounded, or nil when either is missing.
    private static func ratio(_ ours: Double?, _ theirs: Double?) -> Double? {
        guard let ours, let theirs, theirs > 0 else { return nil }
        return rounded(ours / theirs, 3)
    }

    /// Per batch size: our wall and CPU seconds per image and peak over the authors', batched (2B) and as their eval
    /// calls it (2 x B).
    static func forwardRatios(_ row: [String: Any], batches: [Int]) -> [String: Any] {
        var out: [String: Any] = [:]
        for b in batches.map(String.init) {
            var r: [String: Double] = [:]
            let s = number(row, "swift", "batches", b, "batched_s_per_image")
            let c = number(row, "swift", "batches", b, "batched_cpu_s_per_image")
            let m = number(row, "swift", "batches", b, "batched_peak_kib")
            r["s_per_image_ours_over_authors_batched"] = ratio(s, number(row, "authors", "batches", b, "batched_s_per_image"))
            r["s_per_image_ours_over_authors_two_pass"] = ratio(s, number(row, "authors", "batches", b, "two_pass_s_per_image"))
            r["cpu_s_per_image_ours_over_authors_batched"] = ratio(c, number(row, "authors", "batches", b, "batched_cpu_s_per_image"))
            r["cpu_s_per_image_ours_over_authors_two_pass"] = ratio(c, number(row, "authors", "batches", b, "two_pass_cpu_s_per_image"))
            r["peak_ours_over_authors_batched"] = ratio(m, number(row, "authors", "batches", b, "batched_peak_kib"))
            r["peak_ours_over_authors_two_pass"] = ratio(m, number(row, "authors", "batches", b, "two_pass_peak_kib"))
            out[b] = r
        }
        return out
    }

    /// `<ours key>_ours_over_authors` for each pair of keys (ours, theirs).
    static func ratios(_ row: [String: Any], _ keys: [(String, String)]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (ours, theirs) in keys { out[ours + "_ours_over_authors"] = ratio(number(row, "swift", ours), number(row, "authors", theirs)) }
        return out
    }

    /// Loading peaks against the randomly initialised model alone, and against the authors'.
    static func loadRatios(_ load: [String: Any]) -> [String: Any] {
        let random = number(load, "swift_random", "build_peak_kib")
        let assign = number(load, "swift_assign", "load_peak_kib")
        var out: [String: Any] = [:]
        out["assign_peak_over_random_model"] = ratio(assign, random)
        out["copy_peak_over_random_model"] = ratio(number(load, "swift_copy", "load_peak_kib"), random)
        out["assign_peak_over_authors_model_alone"] = ratio(assign, number(load, "authors", "model_peak_kib"))
        out["assign_peak_over_authors_load"] = ratio(assign, number(load, "authors", "load_peak_kib"))
        out["authors_load_over_authors_model_alone"] = ratio(number(load, "authors", "load_peak_kib"), number(load, "authors", "model_peak_kib"))
        if let assign, let random { out["assign_doubles_memory"] = assign >= 1.5 * random }
        return out
    }

    private static func gib(_ kib: Double?) -> String { kib.map { String(format: "%.2f GiB", $0 / 1_048_576) } ?? "-" }
    private static func sec(_ s: Double?) -> String { s.map { String(format: "%.2f s", $0) } ?? "-" }
    private static func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }

    /// "wall s (cpu s cpu) peak" for the measurement `key` (`batched`, `two_pass`) of one side of a forward row.
    private static func cell(_ row: Any?, _ side: String, _ b: String, _ key: String) -> String {
        let wall = sec(number(row, side, "batches", b, key + "_s_per_image"))
        let cpu = number(row, side, "batches", b, key + "_cpu_s_per_image").map { String(format: "(%.2f cpu)", $0) } ?? ""
        return pad(wall, 8) + pad(cpu, 12) + pad(gib(number(row, side, "batches", b, key + "_peak_kib")), 9)
    }

    /// The table printed on stderr.
    static func table(_ result: [String: Any], batches: [Int]) -> String {
        var t = "\ndimr-bench large, \(result["threads"] ?? "?") threads (wall and CPU seconds; peak = VmHWM of the measuring process)\n"
        if let forward = result["forward"] as? [String: Any] {
            t += "\nguided forward per image: ours (2B) | authors batched (2B) | authors as eval.py (2 passes of B)\n"
            for name in forward.keys.sorted().reversed() {
                for b in batches.map(String.init) {
                    t += pad(name, 11) + " B=" + pad(b, 3) + cell(forward[name], "swift", b, "batched") + " | "
                    t += cell(forward[name], "authors", b, "batched") + " | " + cell(forward[name], "authors", b, "two_pass") + "\n"
                }
            }
        }
        if let decode = result["decode"] {
            func side(_ s: String) -> String {
                let cpu = number(decode, s, "decode_cpu_s").map { String(format: " (%.2f cpu)", $0) } ?? ""
                return "\(sec(number(decode, s, "decode_s")))\(cpu), \(gib(number(decode, s, "decode_peak_kib")))"
            }
            t += "\nautoencoder decode 1x4x32x32: ours \(side("swift")) | authors \(side("authors"))\n"
        }
        if let load = result["load"] as? [String: Any] {
            let bytes = number(load, "file_bytes").map { String(format: "%.2f GB", $0 / 1e9) } ?? "?"
            t += "\nDiMR-XL/2R .pth (\(bytes)), peak: random model alone \(gib(number(load, "swift_random", "build_peak_kib")))"
            t += ", random init + copy \(gib(number(load, "swift_copy", "load_peak_kib")))"
            t += ", Init.skipping + assign \(gib(number(load, "swift_assign", "load_peak_kib")))"
            t += " | authors: model alone \(gib(number(load, "authors", "model_peak_kib"))), with load_state_dict(torch.load) "
            t += gib(number(load, "authors", "load_peak_kib")) + "\n"
            if let skipped = load["skipped"] { t += "load: \(skipped)\n" }
        }
        return t + "\n"
    }
}
