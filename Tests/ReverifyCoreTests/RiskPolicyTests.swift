import Foundation
import ReverifyCore
import XCTest

final class RiskPolicyTests: XCTestCase {
    private let policy = RiskPolicy.default

    private func outcome(
        device: Bool = true, network: Bool = true, ua: Bool = false, failures: Int = 0, addressFailures: Int = 0,
        flags: Set<String> = [],
        client: ClientID? = nil, action: String? = nil, policy: RiskPolicy = .default
    ) -> RiskDecision {
        policy.evaluate(
            RiskContext(
                deviceKnown: device, networkKnown: network, userAgentChanged: ua, recentFailures: failures,
                addressFailures: addressFailures, flags: flags),
            client: client, action: action)
    }

    func testTheDefaultPolicyTable() {
        let table: [(RiskDecision, RiskOutcome, [RiskSignal])] = [
            (outcome(), .allow, []),
            (outcome(device: false), .allow, [.newDevice]),
            (outcome(network: false), .allow, [.newNetwork]),
            (outcome(device: false, network: false), .stepUp, [.newDevice, .newNetwork]),
            (outcome(network: false, ua: true), .stepUp, [.newNetwork, .userAgentChanged]),
            (outcome(failures: 6), .stepUpMFA, [.failureVelocity]),
            (outcome(failures: 5), .allow, []),
            (outcome(addressFailures: 100), .allow, []),
            (outcome(addressFailures: 101), .stepUpMFA, [.failureVelocity]),
            (outcome(flags: ["device_not_compliant"]), .stepUpMFA, [.externalFlag]),
            (outcome(flags: ["compromised"]), .deny, [.externalFlag]),
        ]
        for (decision, expected, triggers) in table {
            XCTAssertEqual(decision.outcome, expected, "\(decision)")
            XCTAssertEqual(decision.triggers, triggers, "\(decision)")
        }
    }

    func testAnActionsRulesWinOverTheClientsAndTheDefaults() {
        var custom = RiskPolicy.default
        let strict = RiskPolicy.Rules(weights: [.newDevice: 100], thresholds: [.stepUp: 10, .deny: 100])
        custom.actions["billing.change"] = strict
        custom.clients["cli_rp"] = RiskPolicy.Rules(weights: [:], thresholds: [.stepUp: 10])
        XCTAssertEqual(outcome(device: false, action: "billing.change", policy: custom).outcome, .deny)
        XCTAssertEqual(outcome(device: false, client: ClientID(rawValue: "cli_rp"), policy: custom).outcome, .allow)
        XCTAssertEqual(outcome(device: false, policy: custom).outcome, .allow)
    }

    func testAFlagNeverLowersAnOutcome() {
        XCTAssertEqual(outcome(failures: 50, flags: ["credential_change"]).outcome, .stepUpMFA)
    }

    func testPoliciesThatDoNotValidateSayWhy() {
        var bad = RiskPolicy.default
        bad.rules.thresholds = [.stepUp: 90, .stepUpMFA: 50]
        XCTAssertNotNil(bad.problem())
        bad = .default
        bad.rules.weights[.newDevice] = -1
        XCTAssertNotNil(bad.problem())
        bad = .default
        bad.version = 2
        XCTAssertNotNil(bad.problem())
        XCTAssertNil(RiskPolicy.default.problem())
    }

    func testAPolicyFileRoundTripsThroughJSON() throws {
        let json = #"{"version":1,"velocity_threshold":3,"rules":{"weights":{"new_device":50},"thresholds":{"step_up":50},"flag_outcomes":{}},"clients":{},"actions":{}}"#
        let policy = try JSONDecoder().decode(RiskPolicy.self, from: Data(json.utf8))
        XCTAssertNil(policy.problem())
        XCTAssertEqual(outcome(device: false, policy: policy).outcome, .stepUp)
        XCTAssertEqual(outcome(failures: 4, policy: policy).triggers, [.failureVelocity])
    }
}

final class RiskSignalCollectionTests: XCTestCase {
    func testNetworkPrefixes() {
        XCTAssertEqual(NetworkPrefix.of("203.0.113.77"), "203.0.113.0/24")
        XCTAssertEqual(NetworkPrefix.of("2001:db8:abcd:12::1"), "2001:db8:abcd::/48")
        XCTAssertNil(NetworkPrefix.of("example.com"))
    }

    func testBrowserFamilyAndMajorVersion() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36"
        let edge = chrome + " Edg/120.0.2210.61"
        XCTAssertEqual(BrowserFamily(userAgent: chrome), BrowserFamily(userAgent: chrome.replacingOccurrences(of: "6099.71", with: "6099.200")))
        XCTAssertEqual(BrowserFamily(userAgent: chrome).family, "Chrome")
        XCTAssertEqual(BrowserFamily(userAgent: chrome).major, 120)
        XCTAssertEqual(BrowserFamily(userAgent: edge).family, "Edg")
        XCTAssertNotEqual(BrowserFamily(userAgent: chrome), BrowserFamily(userAgent: chrome.replacingOccurrences(of: "Chrome/120", with: "Chrome/121")))
        XCTAssertEqual(BrowserFamily(userAgent: "Mozilla/5.0 (X11; rv:121.0) Gecko/20100101 Firefox/121.0").family, "Firefox")
    }

    func testBrowserFamilyFindsItsTokenAtEitherEndAndNeverAPartOfOne() {
        XCTAssertEqual(BrowserFamily(userAgent: "Chrome/99"), BrowserFamily(userAgent: "Chrome/99.1"))
        XCTAssertEqual(BrowserFamily(userAgent: "Chrome/99").major, 99)
        XCTAssertEqual(BrowserFamily(userAgent: "curl/8.5 Firefox/").family, "Firefox")
        XCTAssertNil(BrowserFamily(userAgent: "curl/8.5 Firefox/").major)
        XCTAssertEqual(BrowserFamily(userAgent: "x Safari/605.1").family, "Safari")
        XCTAssertNil(BrowserFamily(userAgent: "x Safari/605.1").major)
        XCTAssertEqual(BrowserFamily(userAgent: "curl/8.5 Chrome").family, "curl", "Chrome without its slash is no token")
        XCTAssertEqual(BrowserFamily(userAgent: "Edg").family, "Edg", "shorter than every token")
        XCTAssertEqual(BrowserFamily(userAgent: nil).family, "")
    }
}
