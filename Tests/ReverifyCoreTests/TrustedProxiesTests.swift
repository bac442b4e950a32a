import ReverifyCore
import XCTest

final class TrustedProxiesTests: XCTestCase {
    private let proxies = TrustedProxies(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"].compactMap(TrustedProxies.parse))

    func testWithoutTrustedProxiesTheSocketAddressCounts() {
        XCTAssertEqual(TrustedProxies().clientAddress(socket: "10.1.2.3", forwardedFor: "198.51.100.7"), "10.1.2.3")
    }

    func testAnUntrustedPeerCannotClaimAnotherAddress() {
        XCTAssertEqual(proxies.clientAddress(socket: "203.0.113.9", forwardedFor: "198.51.100.7"), "203.0.113.9")
    }

    func testTheRightmostUntrustedHopIsTheClient() {
        XCTAssertEqual(proxies.clientAddress(socket: "10.1.2.3", forwardedFor: "1.2.3.4, 198.51.100.7, 10.9.9.9"), "198.51.100.7")
        XCTAssertEqual(proxies.clientAddress(socket: "192.0.2.1", forwardedFor: "2001:db8:1::5, 198.51.100.8"), "198.51.100.8")
    }

    func testGarbageInTheHeaderFallsBackToTheSocket() {
        XCTAssertEqual(proxies.clientAddress(socket: "10.1.2.3", forwardedFor: "not-an-ip"), "10.1.2.3")
    }

    func testNetworksParseStrictly() {
        XCTAssertNotNil(TrustedProxies.parse("10.0.0.0/8"))
        XCTAssertNil(TrustedProxies.parse("10.0.0.0/33"))
        XCTAssertNil(TrustedProxies.parse("proxy.example"))
        XCTAssertFalse(proxies.trusts(IPAddress("11.0.0.1")!))
        XCTAssertTrue(proxies.trusts(IPAddress("10.200.0.1")!))
    }
}
