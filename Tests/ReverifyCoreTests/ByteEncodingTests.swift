import Foundation
import XCTest

@testable import ReverifyCore

/// The table-driven encoders must write exactly what Foundation's formatting wrote before them.
final class ByteEncodingTests: XCTestCase {
    func testHexMatchesFormattedBytesForEveryLength() {
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            XCTAssertEqual(ByteEncoding.hex(bytes), bytes.map { String(format: "%02x", $0) }.joined(), "length \(length)")
        }
    }

    func testHexCoversEveryByteValue() {
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(ByteEncoding.hex(all), all.map { String(format: "%02x", $0) }.joined())
    }

    func testBase64URLMatchesFoundationWithoutPaddingForEveryLength() {
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let reference = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            XCTAssertEqual(ByteEncoding.base64URL(bytes), reference, "length \(length)")
        }
    }

    func testBase64URLUsesTheURLSafeAlphabet() {
        // 0xfb 0xff 0xbf is "+/+/" in standard base64.
        XCTAssertEqual(ByteEncoding.base64URL([0xfb, 0xff, 0xbf]), "-_-_")
    }

}
