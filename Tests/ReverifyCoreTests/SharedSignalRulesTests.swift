import Foundation
import ReverifyCore
import XCTest

final class SharedSignalRulesTests: XCTestCase {
    private let issuer = "https://reverify.example"

    private func claims(_ event: String, subject: String, body: String = "", aud: String = "https://reverify.example", jti: String = "\"j1\"")
        throws -> SecurityEventClaims
    {
        let json = """
            {"iss":"https://t.example","aud":"\(aud)","iat":1,"jti":\(jti),
             "events":{"\(SharedSignalRules.caep)\(event)":{"subject":\(subject)\(body)}}}
            """
        return try JSONDecoder().decode(SecurityEventClaims.self, from: Data(json.utf8))
    }

    private func action(_ c: SecurityEventClaims) -> SignalAction? {
        if case .success(let (action, _, _)) = SharedSignalRules.interpret(c, issuer: issuer) { return action }
        return nil
    }

    private func refusal(_ c: SecurityEventClaims) -> SignalRefusal.Code? {
        if case .failure(let refusal) = SharedSignalRules.interpret(c, issuer: issuer) { return refusal.code }
        return nil
    }

    func testEventsMapToActions() throws {
        let email = #"{"format":"email","email":"a@example.com"}"#
        XCTAssertEqual(action(try claims("session-revoked", subject: email)), .revokeSessions)
        XCTAssertEqual(action(try claims("credential-change", subject: email)), .flag("credential_change"))
        XCTAssertEqual(action(try claims("device-compliance-change", subject: email, body: #","current_status":"not-compliant""#)), .flag("device_not_compliant"))
        XCTAssertEqual(action(try claims("device-compliance-change", subject: email, body: #","current_status":"compliant""#)), .clearFlag("device_not_compliant"))
        XCTAssertEqual(action(try claims("assurance-level-change", subject: email)), .flag("assurance_level_change"))
    }

    func testSubjectsNameAUserOrASession() throws {
        guard case .success(let (_, target, _)) = SharedSignalRules.interpret(
            try claims("session-revoked", subject: #"{"format":"iss_sub","iss":"https://reverify.example","sub":"usr_abc"}"#), issuer: issuer)
        else { return XCTFail("iss_sub refused") }
        XCTAssertEqual(target, .user(UserID(rawValue: "usr_abc")))
        XCTAssertEqual(refusal(try claims("session-revoked", subject: #"{"format":"iss_sub","iss":"https://other.example","sub":"usr_abc"}"#)), .invalidRequest)
        XCTAssertEqual(refusal(try claims("session-revoked", subject: #"{"format":"phone_number","phone_number":"+1"}"#)), .invalidRequest)
    }

    func testRefusalsUseTheRFC8935Codes() throws {
        let email = #"{"format":"email","email":"a@example.com"}"#
        XCTAssertEqual(refusal(try claims("session-revoked", subject: email, aud: "https://elsewhere")), .invalidAudience)
        XCTAssertEqual(refusal(try claims("session-established", subject: email)), .invalidRequest)
        XCTAssertEqual(refusal(try claims("session-revoked", subject: email, jti: "null")), .invalidRequest)
        XCTAssertEqual(refusal(try claims("device-compliance-change", subject: email, body: #","current_status":"maybe""#)), .invalidRequest)
    }
}
