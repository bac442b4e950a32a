import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Known devices and networks, failure counts and flags on a real SQLite file (issue 11).
@Suite final class RiskStoreTests: Sendable {
    let fixture: StoreFixture
    var store: SQLiteStore { fixture.sqliteStore }
    var now: UnixTime { fixture.now }

    init() throws { fixture = try StoreFixture() }
    deinit { fixture.remove() }

    private func history(_ session: SessionRecord, device: String? = "dev-a", network: String? = "203.0.113.0/24", at time: UnixTime? = nil)
        async throws -> RiskHistory
    {
        try await store.riskHistory(
            user: session.userId, session: session.id, deviceHash: device, networkPrefix: network, attemptSubject: "subject",
            ipAddress: "203.0.113.7", at: time ?? now, networkMemory: .days(90), velocityWindow: .minutes(15))
    }

    @Test func aDeviceAndNetworkAreKnownOnceAVerificationCameFromThem() async throws {
        let session = try await fixture.session(for: try await fixture.user())
        #expect(try await history(session).deviceKnown == false)
        try await store.rememberVerificationContext(user: session.userId, deviceHash: "dev-a", networkPrefix: "203.0.113.0/24", at: now)
        let known = try await history(session)
        #expect(known.deviceKnown && known.networkKnown)
        #expect(try await history(session, device: "dev-b").deviceKnown == false)
    }

    @Test func aNetworkNotSeenFor90DaysIsNewAgain() async throws {
        let session = try await fixture.session(for: try await fixture.user())
        try await store.rememberVerificationContext(user: session.userId, deviceHash: nil, networkPrefix: "203.0.113.0/24", at: now)
        #expect(try await history(session, at: now + .days(90)).networkKnown)
        #expect(try await history(session, at: now + .days(91)).networkKnown == false)
    }

    @Test func failuresAreCountedForTheAccountAndTheAddressApart() async throws {
        let session = try await fixture.session(for: try await fixture.user())
        for (subject, ip) in [("subject", "198.51.100.1"), ("other", "203.0.113.7"), ("other", "203.0.113.7")] {
            let attempt = try #require(try await store.reserveAttempt(subject: subject, kind: .password, ipAddress: ip, at: now, policy: .init()))
            try await store.settleAttempt(attempt, outcome: .failed)
        }
        let counted = try await history(session)
        #expect(counted.recentFailures == 1)
        #expect(counted.addressFailures == 2)
    }

    @Test func flagsLastUntilTheirEndOrTheirClearing() async throws {
        let session = try await fixture.session(for: try await fixture.user())
        let audit = AuditRecord(at: now, event: .riskStepUpRequired, outcome: .info)
        try await store.flagSession(id: session.id, reason: "device_not_compliant", until: nil, at: now, audit: audit)
        try await store.flagSession(id: session.id, reason: "credential_change", until: now + 60, at: now, audit: audit)
        #expect(try await history(session).flags == ["device_not_compliant", "credential_change"])
        #expect(try await history(session, at: now + 61).flags == ["device_not_compliant"])
        try await store.clearSessionFlag(id: session.id, reason: "device_not_compliant", at: now + 62)
        #expect(try await history(session, at: now + 63).flags.isEmpty)
    }
}
