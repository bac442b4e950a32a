import ReverifyCore
import XCTest

/// When a first upstream sign-in may link to a local account by email (issue 9 item 6).
final class UpstreamAccountLinkingTests: XCTestCase {
    func testVerifiedAddressInAnAllowedDomainLinks() {
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "ceo@example.com", emailVerified: true, linkDomains: ["example.com"]),
            .link(email: "ceo@example.com"))
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "ceo@Example.COM", emailVerified: true, linkDomains: ["example.com"]),
            .link(email: "ceo@Example.COM"), "domains compare case-insensitively")
    }

    func testNoAllowedDomainsMeansNoAutomaticLink() {
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "ceo@other-company.com", emailVerified: true, linkDomains: []),
            .refuse(.domainNotAllowed))
    }

    func testAddressOutsideTheAllowedDomainsIsRefused() {
        for email in ["ceo@other-company.com", "ceo@evil-example.com", "ceo@mail.example.com", "ceo@example.com.evil"] {
            XCTAssertEqual(
                UpstreamAccountLinking.decide(email: email, emailVerified: true, linkDomains: ["example.com"]),
                .refuse(.domainNotAllowed), email)
        }
    }

    func testUnverifiedOrMissingAddressIsRefused() {
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "a@example.com", emailVerified: false, linkDomains: ["example.com"]),
            .refuse(.emailNotVerified))
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "a@example.com", emailVerified: nil, linkDomains: ["example.com"]),
            .refuse(.emailNotVerified))
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: nil, emailVerified: true, linkDomains: ["example.com"]), .refuse(.noEmail))
        XCTAssertEqual(
            UpstreamAccountLinking.decide(email: "not an address", emailVerified: true, linkDomains: ["example.com"]),
            .refuse(.noEmail))
    }
}
