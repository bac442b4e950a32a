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

/// Linking from an existing verified session (issue 9 item 6).
final class UpstreamAccountLinkingFromSessionTests: XCTestCase {
    private func decide(_ email: String?, verified: Bool? = true, domains: [String] = ["example.com"])
        -> UpstreamAccountLinking.Decision
    {
        UpstreamAccountLinking.decideForSession(
            email: email, emailVerified: verified, sessionEmail: "alice@example.com", providerDomains: domains)
    }

    func testTheSessionUsersOwnVerifiedAddressLinks() {
        XCTAssertEqual(decide("alice@example.com"), .link(email: "alice@example.com"))
        XCTAssertEqual(decide("Alice@Example.com"), .link(email: "Alice@Example.com"), "addresses compare case-insensitively")
    }

    func testAnotherAddressIsRefusedEvenInTheSameDomain() {
        XCTAssertEqual(decide("mallory@example.com"), .refuse(.differentAddress))
    }

    func testAProviderNotOfferedForTheUsersDomainIsRefused() {
        XCTAssertEqual(decide("alice@example.com", domains: []), .refuse(.domainNotAllowed))
        XCTAssertEqual(decide("alice@example.com", domains: ["other.example"]), .refuse(.domainNotAllowed))
    }

    func testAnUnverifiedOrMissingAddressIsRefused() {
        XCTAssertEqual(decide("alice@example.com", verified: false), .refuse(.emailNotVerified))
        XCTAssertEqual(decide("alice@example.com", verified: nil), .refuse(.emailNotVerified))
        XCTAssertEqual(decide(nil), .refuse(.noEmail))
    }
}
