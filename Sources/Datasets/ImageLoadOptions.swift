/// How a dataset reads its image files.
public struct ImageLoadOptions: Sendable, Equatable {
    /// The largest width x height accepted per image (> 0); larger ones are refused from their header.
    public var maxPixels: Int
    /// Leave out files that cannot be read, decoded or have the wrong size, listing them, instead of
    /// throwing at the first one.
    public var skipBadFiles: Bool

    /// Options with PIL's pixel limit (`ImageDecoder.defaultMaxPixels`), stopping at the first bad file.
    public init(maxPixels: Int = ImageDecoder.defaultMaxPixels, skipBadFiles: Bool = false) {
        precondition(maxPixels > 0, "the pixel limit must be positive, got \(maxPixels)")
        self.maxPixels = maxPixels
        self.skipBadFiles = skipBadFiles
    }
}
