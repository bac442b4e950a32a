import Foundation
import XCTest

@testable import ReverifyCore

/// The hand-written decoder must accept and refuse what the Foundation route did, with one deliberate
/// difference: bytes that are not UTF-8 are always refused, where Foundation on Linux refuses some (`%C3`)
/// but silently replaces others (a lone `%A9`) with U+FFFD.
final class FormURLDecodingTests: XCTestCase {
    private func foundation(_ text: String) -> String? {
        guard let decoded = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
            !decoded.contains("\u{FFFD}") || text.contains("\u{FFFD}")
        else { return nil }
        return decoded
    }

    func testAgreesWithFoundationOnWellFormedAndMalformedInput() {
        let corpus = [
            "", "plain", "a+b", "a%20b", "%2B", "caf%C3%A9", "%e2%82%ac", "rvr_abc-DEF_123", "x%3Dy%26z",
            "%", "%4", "%zz", "%4g", "abc%", "%C3", "%FF%FE", "%00", "+%2B+", "https%3A%2F%2Frp.example%2Fcb",
            "naïve", "%C3%A9%", "100%25",
        ]
        for text in corpus {
            XCTAssertEqual(FormURLDecoding.decode(Substring(text)), foundation(text), "input \(text)")
        }
    }

    func testPlusIsASpaceAndAnEncodedPlusIsAPlus() {
        XCTAssertEqual(FormURLDecoding.decode("a+b%2Bc"), "a b+c")
    }

    func testRefusesTruncatedEscapesAndInvalidUTF8() {
        XCTAssertNil(FormURLDecoding.decode("%4"))
        XCTAssertNil(FormURLDecoding.decode("%C3"))
        XCTAssertNil(FormURLDecoding.decode("%G1"))
        XCTAssertNil(FormURLDecoding.decode("c%A9C"), "a lone continuation byte is not UTF-8")
    }

    func testAgreesWithFoundationOnRandomBytes() {
        let alphabet = Array("ab+%0123456789ABCDEFcfgz=&é".unicodeScalars)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                text.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
            }
            XCTAssertEqual(FormURLDecoding.decode(Substring(text)), foundation(text), "input \(text)")
        }
    }
}
