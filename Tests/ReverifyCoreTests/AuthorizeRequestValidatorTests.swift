import ReverifyCore
import XCTest

final class AuthorizeRequestValidatorTests: XCTestCase {
    // MARK: Stage 1 — errors shown on a page, never redirected

    func testMissingClientIDCannotBeRedirected() {
        XCTAssertThrowsError(
            try AuthorizeRequestValidator.trustedRedirectURI(Fixture.params(["client_id": nil]), client: nil)
        ) { XCTAssertEqual($0 as? UntrustedRedirectError, .missingClientID) }
    }

    func testUnknownClientCannotBeRedirected() {
        XCTAssertThrowsError(try AuthorizeRequestValidator.trustedRedirectURI(Fixture.params(), client: nil)) {
            XCTAssertEqual($0 as? UntrustedRedirectError, .unknownClient)
        }
    }

    func testRedirectURIMustMatchExactly() {
        let params = Fixture.params(["redirect_uri": Fixture.redirect + "/"])
        XCTAssertThrowsError(try AuthorizeRequestValidator.trustedRedirectURI(params, client: Fixture.client())) {
            XCTAssertEqual($0 as? UntrustedRedirectError, .unregisteredRedirectURI)
        }
    }

    func testRepeatedRedirectURIIsNotTrusted() {
        let params = Fixture.params(extra: [("redirect_uri", "https://evil.example/")])
        XCTAssertThrowsError(try AuthorizeRequestValidator.trustedRedirectURI(params, client: Fixture.client())) {
            guard case .malformedRequest = $0 as? UntrustedRedirectError else { return XCTFail("\($0)") }
        }
    }

    func testRegisteredRedirectURIIsTrusted() throws {
        XCTAssertEqual(try AuthorizeRequestValidator.trustedRedirectURI(Fixture.params(), client: Fixture.client()), Fixture.redirect)
    }

    // MARK: Stage 2 — errors returned to the client

    private func code(_ overrides: [String: String?], client: RegisteredClient = Fixture.client(), extra: [(String, String?)] = [])
        -> OAuthError.Code?
    {
        do {
            _ = try AuthorizeRequestValidator.validate(
                Fixture.params(overrides, extra: extra), client: client, redirectURI: Fixture.redirect, now: Fixture.now)
            return nil
        } catch {
            return error.code
        }
    }

    func testOnlyCodeResponseTypeIsSupported() {
        XCTAssertEqual(code(["response_type": "token"]), .unsupportedResponseType)
        XCTAssertEqual(code(["response_type": nil]), .invalidRequest)
    }

    func testScopeMustIncludeOpenID() {
        XCTAssertEqual(code(["scope": "email"]), .invalidScope)
    }

    func testRepeatedParameterIsInvalidRequest() {
        XCTAssertEqual(code([:], extra: [("max_age", "5"), ("max_age", "500")]), .invalidRequest)
    }

    func testNegativeOrNonNumericMaxAgeIsInvalidRequest() {
        XCTAssertEqual(code(["max_age": "-1"]), .invalidRequest)
        XCTAssertEqual(code(["max_age": "abc"]), .invalidRequest)
        XCTAssertEqual(code(["max_age": "1.5"]), .invalidRequest)
        XCTAssertEqual(code(["max_age": "99999999999999999999"]), .invalidRequest)
    }

    func testMaxAgeIsParsedInSeconds() throws {
        XCTAssertEqual(try Fixture.request(["max_age": "300"]).maxAge, Seconds(300))
    }

    func testPromptNoneCombinedWithLoginIsInvalidRequest() {
        XCTAssertEqual(code(["prompt": "none login"]), .invalidRequest)
    }

    func testUnknownPromptValueIsInvalidRequest() {
        XCTAssertEqual(code(["prompt": "sudo"]), .invalidRequest)
    }

    func testPublicClientMustUsePKCE() {
        XCTAssertEqual(code([:], client: Fixture.client(public: true)), .invalidRequest)
    }

    func testPlainPKCEIsRefused() {
        XCTAssertEqual(code(["code_challenge": Fixture.challenge, "code_challenge_method": "plain"]), .invalidRequest)
    }

    func testS256PKCEIsAccepted() throws {
        let request = try Fixture.request(
            ["code_challenge": Fixture.challenge, "code_challenge_method": "S256"], client: Fixture.client(public: true))
        XCTAssertEqual(request.codeChallenge?.value, Fixture.challenge)
    }

    /// The server resolves request objects and pushed requests before validation; one still present here was
    /// not verified and must not be ignored.
    func testUnresolvedRequestObjectsAreRefused() {
        XCTAssertEqual(code(["request": "eyJ..."]), .invalidRequestObject)
        XCTAssertEqual(code(["request_uri": "https://x"]), .invalidRequestURI)
    }

    func testUnregisteredActionIsInvalidRequest() {
        XCTAssertEqual(code(["action": "billing.change"]), .invalidRequest)
    }

    func testOversizedValueIsInvalidRequest() {
        XCTAssertEqual(code(["state": String(repeating: "x", count: 5000)]), .invalidRequest)
    }

    func testUndecodableValueIsInvalidRequest() {
        XCTAssertEqual(code([:], extra: [("login_hint", nil)]), .invalidRequest)
    }
}
