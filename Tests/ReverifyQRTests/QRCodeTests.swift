@testable import ReverifyQR
import XCTest

final class QRCodeTests: XCTestCase {
    // MARK: Whole symbols, against an independent encoder
    // (python-qrcode; segno was tried first, but it appends a whole zero byte after a byte-aligned terminator,
    // 8 − 0 "padding bits", where ISO/IEC 18004 7.4.10 adds none, so its pad codewords differ from the standard's.)

    func testSymbolsMatchAnIndependentEncoderModuleForModule() throws {
        for vector in ReferenceVectors.all {
            let code = try QRCode(bytes: Array(vector.text.utf8), mask: vector.mask)
            XCTAssertEqual(code.version, vector.version, "version for \(vector.text.prefix(24))")
            let rows = code.modules.map { String($0.map { $0 ? "1" : "0" }) }
            XCTAssertEqual(rows, vector.rows, "modules for \(vector.text.prefix(24)) (v\(vector.version), mask \(vector.mask))")
        }
    }

    func testVersionIsTheSmallestThatHoldsTheBytesAtLevelM() throws {
        // Table 7, byte mode at level M: version 1 holds 14 bytes, version 9 holds 180, version 10 holds 213.
        XCTAssertEqual(try QRCode(bytes: Array(repeating: 0x41, count: 14)).version, 1)
        XCTAssertEqual(try QRCode(bytes: Array(repeating: 0x41, count: 15)).version, 2)
        XCTAssertEqual(try QRCode(bytes: Array(repeating: 0x41, count: 180)).version, 9)
        XCTAssertEqual(try QRCode(bytes: Array(repeating: 0x41, count: 181)).version, 10)
        XCTAssertEqual(try QRCode(bytes: Array(repeating: 0x41, count: 2331)).version, 40)
    }

    func testMoreThanVersion40HoldsIsRefused() {
        XCTAssertThrowsError(try QRCode(bytes: Array(repeating: 0x41, count: 2332))) { error in
            XCTAssertEqual(error as? QRCode.EncodingError, .tooLong(2332))
        }
    }

    func testChosenMaskHasTheLowestPenalty() throws {
        let text = "otpauth://totp/Reverify:bob%40example.com?secret=ABC&issuer=Reverify"
        let chosen = try QRCode(text: text)
        let penalties = try (0...7).map { mask -> Int in
            let code = try QRCode(text: text, mask: mask)
            var grid = ModuleGrid(version: code.version)
            grid.modules = code.modules
            return grid.penalty()
        }
        XCTAssertEqual(penalties[chosen.mask], penalties.min())
    }

    // MARK: Parts, against the standard's worked values

    func testFormatBitsForLevelMMatchTheStandardTable() {
        // ISO/IEC 18004 Annex C table C.1, level M, masks 0 and 5 (after XOR with 101010000010010).
        XCTAssertEqual(ModuleGrid.formatBits(mask: 0), 0b101_0100_0001_0010)
        XCTAssertEqual(ModuleGrid.formatBits(mask: 5), 0b100_0000_1100_1110)
    }

    func testVersionBitsMatchTheStandardTable() {
        // Annex D table D.1: version 7 is 000111110010010100, version 40 is 101000110001101001.
        XCTAssertEqual(ModuleGrid.versionBits(7), 0x07C94)
        XCTAssertEqual(ModuleGrid.versionBits(40), 0b101000_110001_101001)
    }

    func testReedSolomonMatchesTheStandardsWorkedExample() {
        // Annex I.3: "01234567" at 1-M has data codewords 10 20 0C 56 61 80 EC 11 EC 11 EC 11 EC 11 EC 11
        // and error correction codewords A5 24 D4 C1 ED 36 C7 87 2C 55.
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        let ecc = ReedSolomon.remainder(of: data, divisor: ReedSolomon.generator(degree: 10))
        XCTAssertEqual(ecc, [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    func testAlignmentPatternCentresFollowAnnexE() {
        XCTAssertEqual(ModuleGrid(version: 1).alignmentPositions, [])
        XCTAssertEqual(ModuleGrid(version: 2).alignmentPositions, [6, 18])
        XCTAssertEqual(ModuleGrid(version: 7).alignmentPositions, [6, 22, 38])
        XCTAssertEqual(ModuleGrid(version: 32).alignmentPositions, [6, 34, 60, 86, 112, 138])
    }

    func testByteModeDataIsPaddedWithAlternatingPadCodewords() {
        // Mode 0100, count 00000001, 'A' 01000001, terminator 0000, then 0xEC 0x11 … to version 1-M's 16 codewords.
        let words = QRCode.dataCodewords(for: [0x41], version: 1)
        XCTAssertEqual(words.count, 16)
        XCTAssertEqual(Array(words.prefix(4)), [0x40, 0x14, 0x10, 0xEC])
        XCTAssertEqual(words.last, 0xEC, "13 pad codewords, starting and ending with 0xEC")
    }

    // MARK: SVG

    func testSVGHasAQuietZoneAndOneSquarePerDarkModule() throws {
        let code = try QRCode(text: "Reverify")
        let svg = code.svg(moduleSize: 4)
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains("viewBox=\"0 0 29 29\""), "21 modules + 2×4 quiet zone")
        // Every horizontal run is one subpath; their widths add up to the dark modules.
        let widths = svg.split(separator: "h").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertEqual(widths.reduce(0, +), code.modules.joined().filter { $0 }.count)
    }
}
