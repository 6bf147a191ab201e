/// The classes `dimr sample --classes` names: indices or class names, comma-separated.
public enum ClassSelection {
    /// The label of class `index` on a grid row: its name where `names` has one, else its number.
    public static func rowLabel(_ index: Int, names: [String]?) -> String {
        guard let names, index >= 0, index < names.count else { return String(index) }
        return names[index]
    }

    /// Parses `text` against a model of `count` classes with optional `names` (in label order, at most `count`).
    ///
    /// Each item is an index in `0..<count` or a class name, matched ignoring case, spaces and punctuation;
    /// a name with `/` also answers to each part (Fashion-MNIST's `T-shirt/top` is `tshirt` or `top`).
    /// - Throws: `PipelineError` for an empty list or item, an index out of range, or an unknown or ambiguous name
    ///   (listing the model's classes).
    public static func parse(_ text: String, count: Int, names: [String]?) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.contains(where: { !$0.isEmpty }) else { throw PipelineError("no classes given in --classes") }
        return try items.map { item in
            guard !item.isEmpty else { throw PipelineError("an empty item in --classes \"\(text)\"") }
            if let index = Int(item) {
                guard index >= 0, index < count else {
                    throw PipelineError("class \(index) in --classes is out of range: the model has classes 0...\(count - 1)")
                }
                return index
            }
            guard let names else {
                throw PipelineError("unknown class \"\(item)\" in --classes: this model records no class names; give indices 0...\(count - 1)")
            }
            let key = normalized(item)
            let exact = names.indices.filter { normalized(names[$0]) == key }
            let partial = names.indices.filter { names[$0].split(separator: "/").contains { normalized(String($0)) == key } }
            let matches = exact.isEmpty ? partial : exact
            guard matches.count == 1 else {
                let listing = names.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
                throw PipelineError("\(matches.isEmpty ? "unknown" : "ambiguous") class \"\(item)\" in --classes; the model's classes: \(listing)")
            }
            return matches[0]
        }
    }

    /// Lower-case letters and digits only.
    static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}
