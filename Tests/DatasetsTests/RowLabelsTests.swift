import Testing
@testable import Datasets

@Suite struct RowLabelsTests {
    @Test func labelsGoIntoALeftMarginAndKeepTheTiles() {
        var grid = RasterImage(width: 12, height: 22, channels: 1, fill: 0)
        grid[5, 5, 0] = 77
        let labelled = RowLabels.add(to: grid, labels: [7, 10], tileHeight: 8, padding: 2, scale: 1)
        let margin = (2 * 4 + 1) * 1
        #expect(labelled.width == grid.width + margin && labelled.height == grid.height)
        #expect(labelled[5 + margin, 5, 0] == 77)
        // "7" in row 0: its top stroke is three white pixels starting one pixel in.
        let top0 = 2 + (8 - 5) / 2
        #expect((1...3).map { labelled[$0, top0, 0] } == [255, 255, 255])
        #expect(labelled[2, top0 + 1, 0] == 0)
        // "10" in row 1: the "1" has a single-pixel stem in its middle column, the "0" a hollow middle.
        let top1 = 2 + 10 + (8 - 5) / 2
        #expect(labelled[2, top1 + 3, 0] == 255 && labelled[1, top1 + 3, 0] == 0)
        #expect(labelled[5, top1 + 2, 0] == 255 && labelled[6, top1 + 2, 0] == 0 && labelled[7, top1 + 2, 0] == 255)
    }

    @Test func classNamesAreDrawnInCapitalsAndTheMarginFitsTheLongest() {
        let grid = RasterImage(width: 10, height: 22, channels: 3, fill: 0)
        let labelled = RowLabels.add(to: grid, labels: ["T-shirt/top", "Bag"], tileHeight: 8, padding: 2, scale: 1)
        #expect(labelled.width == grid.width + 11 * 4 + 1)
        // Row 0 starts with "T": a full top stroke, then the stem in the middle column only.
        let top0 = 2 + (8 - 5) / 2
        #expect((1...3).map { labelled[$0, top0, 1] } == [255, 255, 255])
        #expect(labelled[1, top0 + 2, 1] == 0 && labelled[2, top0 + 2, 1] == 255 && labelled[3, top0 + 2, 1] == 0)
        // The "-" after it: the middle row only.
        #expect(labelled[5, top0 + 2, 0] == 255 && labelled[5, top0 + 1, 0] == 0)
        // Row 1, "B" (lowercase input is drawn the same): left column on every row, right column not in row 0.
        let top1 = 2 + 10 + (8 - 5) / 2
        #expect((0..<5).allSatisfy { labelled[1, top1 + $0, 2] == 255 })
        #expect(labelled[3, top1, 2] == 0 && labelled[3, top1 + 1, 2] == 255)
        #expect(RowLabels.shown("bag") == Array("BAG"))
        #expect(RowLabels.shown(String(repeating: "x", count: 40)).count == RowLabels.maxCharacters)
        // A character without a glyph is drawn as "?", not skipped.
        let unknown = RowLabels.add(to: grid, labels: ["é"], tileHeight: 8, padding: 2, scale: 1)
        #expect((1...3).map { unknown[$0, top0, 0] } == [255, 255, 255])
    }
}
