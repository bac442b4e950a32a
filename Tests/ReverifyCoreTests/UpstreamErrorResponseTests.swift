import ReverifyCore
import XCTest

/// What of an upstream's error response reaches the audit log (issue 9 item 15).
final class UpstreamErrorResponseTests: XCTestCase {
    func testDescriptionIsKeptForOperators() {
        let answer = UpstreamErrorResponse(error: "invalid_request", description: "max_age invalid")
        XCTAssertEqual(answer.error, "invalid_request")
        XCTAssertEqual(answer.description, "max_age invalid")
    }

    func testDescriptionIsBounded() {
        let answer = UpstreamErrorResponse(error: "e", description: String(repeating: "x", count: 10_000))
        XCTAssertEqual(answer.description?.count, UpstreamErrorResponse.descriptionLimit)
        XCTAssertEqual(UpstreamErrorResponse(error: String(repeating: "y", count: 500), description: nil).error.count,
                       UpstreamErrorResponse.errorLimit)
    }

    func testCharactersOutsideRFC6749AreReplaced() {
        let answer = UpstreamErrorResponse(error: "access_denied\r\nforged: yes", description: "bad \"quote\" \\ é\u{0}<b>")
        XCTAssertEqual(answer.error, "access_denied??forged: yes")
        XCTAssertEqual(answer.description, "bad ?quote? ? ??<b>")
    }

    func testEmptyDescriptionIsAbsent() {
        XCTAssertNil(UpstreamErrorResponse(error: "access_denied", description: "").description)
        XCTAssertNil(UpstreamErrorResponse(error: "access_denied", description: nil).description)
    }
}
