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
}
