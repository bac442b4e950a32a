import ReverifyCore
import XCTest

/// RFC 8949 decoding, restricted to what WebAuthn needs and strict about everything else.
final class CBORDecoderTests: XCTestCase {
    private func decode(_ bytes: [UInt8]) throws -> CBOR { try CBORDecoder().decode(bytes) }

    private func assertRefused(_ bytes: [UInt8], _ expected: CBORError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? CBORError, expected, file: file, line: line)
        }
    }

    func testDecodesRFC8949AppendixAExamples() throws {
        let table: [([UInt8], CBOR)] = [
            ([0x00], .unsigned(0)), ([0x17], .unsigned(23)), ([0x18, 0x18], .unsigned(24)), ([0x19, 0x03, 0xE8], .unsigned(1000)),
            ([0x1B, 0, 0, 0, 0xE8, 0xD4, 0xA5, 0x10, 0x00], .unsigned(1_000_000_000_000)),
            ([0x20], CBOR(-1)), ([0x38, 0x63], CBOR(-100)), ([0x39, 0x01, 0x00], CBOR(-257)),
            ([0x40], .bytes([])), ([0x44, 1, 2, 3, 4], .bytes([1, 2, 3, 4])),
            ([0x64, 0x49, 0x45, 0x54, 0x46], .text("IETF")), ([0x62, 0xC3, 0xBC], .text("ü")),
            ([0x83, 1, 2, 3], .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
            ([0xA2, 0x01, 0x02, 0x03, 0x04], .map([.init(key: .unsigned(1), value: .unsigned(2)), .init(key: .unsigned(3), value: .unsigned(4))])),
            ([0xF4], .bool(false)), ([0xF5], .bool(true)), ([0xF6], .null),
        ]
        for (bytes, expected) in table {
            XCTAssertEqual(try decode(bytes), expected, "\(bytes)")
        }
    }

    func testEncoderOutputRoundTrips() throws {
        let item: CBOR = .map([
            .init(key: .text("fmt"), value: .text("none")), .init(key: CBOR(-2), value: .bytes(.init(repeating: 7, count: 300))),
            .init(key: .unsigned(70_000), value: .array([.bool(true), .null, CBOR(-70_000), .unsigned(UInt64.max)])),
        ])
        XCTAssertEqual(try decode(CBOREncoder.encode(item)), item)
    }

    func testTrailingBytesAreRefused() {
        assertRefused([0x01, 0x02], .trailingBytes)
    }

    func testDecodePrefixReportsWhereTheItemEnds() throws {
        let (item, end) = try CBORDecoder().decodePrefix([0xFF, 0x42, 9, 9, 0x01], at: 1)
        XCTAssertEqual(item, .bytes([9, 9]))
        XCTAssertEqual(end, 4)
    }

    func testIndefiniteLengthsAreRefused() {
        assertRefused([0x5F, 0x41, 0x01, 0xFF], .indefiniteLength)  // byte string
        assertRefused([0x7F, 0x61, 0x61, 0xFF], .indefiniteLength)  // text string
        assertRefused([0x9F, 0x01, 0xFF], .indefiniteLength)  // array
        assertRefused([0xBF, 0x01, 0x02, 0xFF], .indefiniteLength)  // map
        assertRefused([0xFF], .indefiniteLength)  // a lone break
    }

    func testNonShortestLengthsAreRefused() {
        assertRefused([0x18, 0x17], .nonCanonicalLength)
        assertRefused([0x19, 0x00, 0xFF], .nonCanonicalLength)
        assertRefused([0x1A, 0x00, 0x00, 0xFF, 0xFF], .nonCanonicalLength)
        assertRefused([0x1B, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], .nonCanonicalLength)
        assertRefused([0x58, 0x01, 0xAA], .nonCanonicalLength)  // a 1-byte string with a 1-byte length
        assertRefused([0x38, 0x00], .nonCanonicalLength)
    }

    func testDuplicateMapKeysAreRefused() {
        assertRefused([0xA2, 0x01, 0x02, 0x01, 0x03], .duplicateMapKey)
        assertRefused([0xA2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02], .duplicateMapKey)
    }

    func testMapKeysMustBeIntegersOrText() {
        assertRefused([0xA1, 0x41, 0x01, 0x02], .unsupportedMapKey)
        assertRefused([0xA1, 0x80, 0x02], .unsupportedMapKey)
    }

    func testNestingBeyondTheLimitIsRefused() throws {
        let deep = [UInt8](repeating: 0x81, count: 9) + [0x01]
        assertRefused(deep, .tooDeep)
        XCTAssertNoThrow(try decode([UInt8](repeating: 0x81, count: 8) + [0x01]))
    }

    func testTruncatedItemsAreRefused() {
        for bytes: [UInt8] in [[], [0x18], [0x19, 0x01], [0x44, 1, 2], [0x82, 0x01], [0xA1, 0x01], [0x62, 0x61]] {
            assertRefused(bytes, .truncated)
        }
    }

    func testALengthBeyondTheInputNeverAllocates() {
        assertRefused([0x5B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .truncated)
        assertRefused([0x9B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .tooLarge)
        assertRefused([0x99, 0x01, 0x00] + [UInt8](repeating: 0x01, count: 10), .truncated)
    }

    func testTagsFloatsAndOtherSimpleValuesAreRefused() {
        assertRefused([0xC1, 0x1A, 0x51, 0x4B, 0x67, 0xB0], .unsupportedItem)  // tag 1
        assertRefused([0xF9, 0x3C, 0x00], .unsupportedItem)  // half float
        assertRefused([0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A], .unsupportedItem)
        assertRefused([0xF7], .unsupportedItem)  // undefined
        assertRefused([0xF0], .unsupportedItem)  // simple(16)
        assertRefused([0x1C], .unsupportedItem)  // reserved additional information
    }

    func testInvalidUTF8IsRefused() {
        assertRefused([0x62, 0xC3, 0x28], .invalidUTF8)
    }

    func testIntegerAccessorCoversTheInt64Range() {
        XCTAssertEqual(CBOR(-257).integer, -257)
        XCTAssertEqual(CBOR.negative(UInt64(Int64.max)).integer, Int64.min)
        XCTAssertNil(CBOR.unsigned(UInt64.max).integer)
        XCTAssertNil(CBOR.text("1").integer)
    }
}
