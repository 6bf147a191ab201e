import Foundation
import Testing
@testable import Datasets

/// PIL-compatible BOX / BICUBIC resampling and the ADM centre crop against Pillow's own output
/// (Fixtures/resize, made by scripts/refs/resize_refs.py with Pillow 12 and 13 on x86-64: the
/// default pass order is Pillow 12's, which DiMR's authors ran; Pillow 13 changed it for images
/// whose height shrinks much more than their width, and those cases are checked with `.pillow13`).
///
/// Comparisons are byte-exact, on any CPU: the weights are a handful of IEEE-754 double operations
/// (each correctly rounded, in Pillow's order, with no fused multiply-add since Swift does not
/// contract expressions), truncated to 22-bit integers; the pixels are then summed in integers only.
/// Pillow's x86-64 build does the same double operations (baseline x86-64 has no FMA to fuse with),
/// so both sides compute identical weights and identical bytes. The centre crop's sizes use one
/// double division, one multiplication and round-half-to-even, as Python's `round(side * scale)`.
@Suite struct ResizeTests {
    struct Case: Decodable {
        let name: String
        let input: String
        let op: String
        let width: Int?
        let height: Int?
        let size: Int?
    }

    struct Manifest: Decodable {
        let pillow: String
        let cases: [Case]
    }

    static let folder = fixtures + "/resize"

    /// Pillow 12's manifest and arrays (inputs and outputs), or Pillow 13's (outputs where it differs).
    func load(pillow13: Bool = false) throws -> (Manifest, [String: NPYArray]) {
        let suffix = pillow13 ? "_pillow13" : ""
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(readBytes(Self.folder + "/manifest\(suffix).json")))
        return (manifest, try NPZ.read(Self.folder + "/resize_refs\(suffix).npz"))
    }

    /// Runs one fixture case (a resize or a centre crop) with `order`.
    func run(_ c: Case, on input: RasterImage, order: ResamplingPassOrder) throws -> RasterImage {
        if c.op == "crop" { return try input.centerCropped(size: try #require(c.size), order: order) }
        let filter = try #require(ResamplingFilter(rawValue: c.op), "\(c.name)")
        return try input.resized(width: try #require(c.width), height: try #require(c.height), filter: filter, order: order)
    }

    /// The fixture array `name` as an image: (H, W) gray or (H, W, 3) RGB uint8.
    func image(_ arrays: [String: NPYArray], _ name: String) throws -> RasterImage {
        let array = try #require(arrays[name], "fixture array \(name) missing")
        let shape = array.shape
        try #require(array.dtype == .uint8 && (shape.count == 2 || (shape.count == 3 && shape[2] == 3)),
                     "\(name): \(array.dtype) of shape \(shape)")
        return RasterImage(width: shape[1], height: shape[0], channels: shape.count == 2 ? 1 : 3, pixels: array.data)
    }

    /// Records an issue with the size, the number of differing bytes and the first of them unless `got == want`.
    func expectSameBytes(_ got: RasterImage, _ want: RasterImage, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard got.width == want.width, got.height == want.height, got.channels == want.channels else {
            Issue.record("\(name): got \(got.width)x\(got.height)x\(got.channels), Pillow \(want.width)x\(want.height)x\(want.channels)",
                         sourceLocation: sourceLocation)
            return
        }
        let differing = zip(got.pixels, want.pixels).enumerated().filter { $0.element.0 != $0.element.1 }
        if let first = differing.first {
            let pixel = first.offset / got.channels
            let text = "\(name): \(differing.count) bytes differ from Pillow; first at x \(pixel % got.width), y \(pixel / got.width), "
                + "channel \(first.offset % got.channels): \(first.element.0) vs \(first.element.1)"
            Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
        }
    }

    @Test func resizeMatchesPillowByteForByte() throws {
        let (manifest, arrays) = try load()
        let cases = manifest.cases.filter { $0.op != "crop" }
        #expect(cases.count >= 30)
        for c in cases {
            let input = try image(arrays, "in_" + c.input)
            expectSameBytes(try run(c, on: input, order: .horizontalFirst), try image(arrays, "out_" + c.name), "\(c.name) (Pillow \(manifest.pillow))")
        }
    }

    @Test func centerCropMatchesPillowByteForByte() throws {
        let (manifest, arrays) = try load()
        let cases = manifest.cases.filter { $0.op == "crop" }
        var halvings = Set<Int>(), upscaled = false, unchanged = false
        for c in cases {
            let input = try image(arrays, "in_" + c.input)
            let size = try #require(c.size)
            let plan = try CenterCrop(width: input.width, height: input.height, size: size)
            halvings.insert(plan.halvings)
            upscaled = upscaled || min(input.width, input.height) < size
            unchanged = unchanged || min(input.width >> plan.halvings, input.height >> plan.halvings) == size
            expectSameBytes(try input.centerCropped(size: size), try image(arrays, "out_" + c.name), "\(c.name) (Pillow \(manifest.pillow))")
        }
        // The fixtures cover what they are meant to: 0 to 3 halvings, upscaling, and a bicubic step
        // of the same size (which Pillow skips).
        #expect(halvings == [0, 1, 2, 3])
        #expect(upscaled)
        #expect(unchanged)
    }

    /// Pillow 13's pass order: byte-exact on the cases where it runs the vertical pass first (which
    /// differ from Pillow 12 in some bytes), and the same as Pillow 12 on all the others.
    @Test func pillow13PassOrderMatchesPillow13() throws {
        let (manifest, arrays) = try load()
        let (manifest13, arrays13) = try load(pillow13: true)
        #expect(manifest13.cases.count >= 8)
        let changed = Set(manifest13.cases.map(\.name))
        for c in manifest.cases {
            let input = try image(arrays, "in_" + c.input)
            let name = "\(c.name) (Pillow \(changed.contains(c.name) ? manifest13.pillow : manifest.pillow))"
            let want = try image(changed.contains(c.name) ? arrays13 : arrays, "out_" + c.name)
            let got = try run(c, on: input, order: .pillow13)
            expectSameBytes(got, want, name)
            if changed.contains(c.name) {
                #expect(try got != image(arrays, "out_" + c.name), "\(c.name): the Pillow 13 fixture should differ from Pillow 12's")
            }
        }
    }

    @Test func passOrderRule() {
        let rule = { (w: Int, h: Int, ow: Int, oh: Int) in
            ResamplingPassOrder.pillow13.verticalFirst(inWidth: w, inHeight: h, outWidth: ow, outHeight: oh)
        }
        #expect(rule(131, 263, 64, 128))    // 135 > 2 * 67
        #expect(!rule(131, 262, 64, 128))   // 134 is not > 134
        #expect(rule(23, 41, 50, 3))        // width grows: any height shrink goes first
        #expect(!rule(37, 23, 13, 29))      // height grows
        #expect(!rule(500, 375, 341, 256))  // ImageNet landscape
        #expect(!rule(375, 500, 256, 341))  // and portrait: 159 is not > 238
        #expect(!rule(Int.max, 10, 1, 5))   // twice the width difference overflows: horizontal
        #expect(!ResamplingPassOrder.horizontalFirst.verticalFirst(inWidth: 23, inHeight: 41, outWidth: 50, outHeight: 3))
    }

    @Test func centerCropPlanFollowsTheADMRule() throws {
        func steps(_ plan: CenterCrop) -> [Int] { [plan.halvings, plan.resizedWidth, plan.resizedHeight, plan.cropX, plan.cropY] }
        // ImageNet's usual 500x375 at 256: no halving, bicubic to round(500 * 256 / 375) = round(341.33) = 341.
        let imagenet = try CenterCrop(width: 500, height: 375, size: 256)
        #expect(steps(imagenet) == [0, 341, 256, 42, 0])
        // At 64: 375 -> 187 -> 93 (93 < 128 stops), then 250x187 -> 125x93 -> round(125 * 64 / 93) = 86.
        let small = try CenterCrop(width: 500, height: 375, size: 64)
        #expect(steps(small) == [2, 86, 64, 11, 0])
        // Python's round is half to even: 3x2 at 3 has scale 1.5 and 3 * 1.5 = 4.5 -> 4 (half away from zero gives 5).
        let tie = try CenterCrop(width: 3, height: 2, size: 3)
        #expect(steps(tie) == [0, 4, 3, 0, 0])
        let half = try CenterCrop(width: 4, height: 9, size: 2)  // 4 >= 4 halves to 2x4; scale 1 keeps it
        #expect(steps(half) == [1, 2, 4, 0, 1])
    }

    @Test func sameSizeIsACopyAndFlatStaysFlat() throws {
        var noise = ByteNoise(state: 0x5eed)
        let image = RasterImage(width: 13, height: 9, channels: 3, pixels: noise.bytes(13 * 9 * 3))
        #expect(try image.resized(width: 13, height: 9, filter: .bicubic) == image)
        // A constant image stays constant through both filters (weights sum to one in fixed point).
        let flat = RasterImage(width: 11, height: 7, channels: 1, fill: 200)
        for filter in ResamplingFilter.allCases {
            for (w, h) in [(3, 2), (29, 5), (11, 20), (1, 1)] {
                #expect(try flat.resized(width: w, height: h, filter: filter).pixels == [UInt8](repeating: 200, count: w * h), "\(filter) \(w)x\(h)")
            }
        }
    }

    /// Pillow sums `pixel * weight` in 32-bit ints starting from 2^21. That never overflows when
    /// 255 * sum(|weight|) + 2^21 < 2^31; the weights of each output also sum to 2^22 up to one
    /// unit of rounding per tap. Checked for every pair of sizes up to 96.
    @Test func fixedPointSumsFitIn32Bits() {
        let one = 1 << 22
        for filter in ResamplingFilter.allCases {
            for inSize in 1...96 {
                for outSize in 1...96 {
                    let k = ResamplingCoefficients(inSize: inSize, outSize: outSize, filter: filter)
                    for i in 0..<outSize {
                        let row = k.weights[(i * k.taps)..<(i * k.taps + k.count[i])].map(Int.init)
                        let absolute = row.reduce(0) { $0 + abs($1) }
                        if 255 * absolute + one / 2 >= 1 << 31 || abs(row.reduce(0, +) - one) > row.count {
                            Issue.record("\(filter) \(inSize) -> \(outSize), output \(i): weights \(row)")
                            return
                        }
                    }
                    #expect(k.inputRange == 0..<inSize, "\(filter) \(inSize) -> \(outSize)")
                }
            }
        }
    }

    @Test func badSizesThrowClearErrors() {
        let rgb = RasterImage(width: 6, height: 4, channels: 3)
        let cases: [(String, () throws -> Void)] = [
            ("sizes must be at least 1", { _ = try rgb.resized(width: 0, height: 4, filter: .box) }),
            ("sizes must be at least 1", { _ = try rgb.resized(width: 3, height: -1, filter: .bicubic) }),
            ("more than the limit", { _ = try rgb.resized(width: Int.max, height: Int.max, filter: .bicubic) }),
            ("more than the limit", { _ = try rgb.resized(width: 100_000, height: 100_000, filter: .box) }),
            ("an intermediate image", { _ = try RasterImage(width: 1, height: 500, channels: 1).resized(width: 500, height: 1, filter: .bicubic, maxPixels: 1000) }),
            ("centre-crop size must be at least 1", { _ = try rgb.centerCropped(size: 0) }),
            ("centre-crop size must be at least 1", { _ = try rgb.centerCropped(size: Int.min) }),
            ("more than the limit", { _ = try rgb.centerCropped(size: Int.max) }),
            ("more than the limit", { _ = try rgb.centerCropped(size: 1 << 32) }),
            ("more than the limit", { _ = try RasterImage(width: 1, height: 40_000, channels: 1).centerCropped(size: 4096) }),
            ("sides must be at least 1", { _ = try CenterCrop(width: 0, height: 5, size: 2) }),
            ("an intermediate image of 5x200", { _ = try CenterCrop(width: 10, height: 200, size: 4, maxPixels: 999) }),
            ("planned for 6x4", { _ = try CenterCrop(width: 6, height: 4, size: 2).apply(to: RasterImage(width: 4, height: 6, channels: 3)) }),
            ("got 4 channels", { _ = try RasterImage(width: 6, height: 4, channels: 4).resized(width: 3, height: 2, filter: .box) }),
            ("got 2 channels", { _ = try RasterImage(width: 6, height: 4, channels: 2).centerCropped(size: 2) }),
        ]
        for (expected, body) in cases {
            let message = errorMessage(body)
            #expect(message?.contains(expected) == true, "expected an error with \"\(expected)\", got \(message ?? "none")")
        }
        var broken = rgb
        broken.pixels.removeLast()
        let message = errorMessage { _ = try broken.resized(width: 3, height: 2, filter: .box) }
        #expect(message?.contains("needs 72 bytes, holds 71") == true, "\(message ?? "no error")")
    }
}
