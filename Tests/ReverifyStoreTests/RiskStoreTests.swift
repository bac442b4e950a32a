import Foundation
import GRDB
import ReverifyCore
@testable import ReverifyStore
import Testing

/// Known devices and networks, failure counts and flags, on every backend (issues 11 and 14).
@Suite struct RiskStoreTests {
    private func history(
        _ fixture: StoreFixture, _ session: SessionRecord, device: String? = "dev-a", network: String? = "203.0.113.0/24",
        at time: UnixTime? = nil
    ) async throws -> RiskHistory {
        try await fixture.store.riskHistory(
            user: session.userId, session: session.id, deviceHash: device, networkPrefix: network, attemptSubject: "subject",
            ipAddress: "203.0.113.7", at: time ?? fixture.now, networkMemory: .days(90), velocityWindow: .minutes(15))
    }

    @Test(arguments: Backend.all) func aDeviceAndNetworkAreKnownOnceAVerificationCameFromThem(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let now = fixture.now
        let session = try await fixture.session(for: try await fixture.user())
        #expect(try await history(fixture, session).deviceKnown == false)
        try await store.rememberVerificationContext(user: session.userId, deviceHash: "dev-a", networkPrefix: "203.0.113.0/24", at: now)
        let known = try await history(fixture, session)
        #expect(known.deviceKnown && known.networkKnown)
        #expect(try await history(fixture, session, device: "dev-b").deviceKnown == false)
    }

    /// Issue 13: a verification's session and the context it came from are one write, so they stand or fall
    /// together: a new session makes its device known, and a re-verification that found its session revoked
    /// remembers nothing.
    @Test(arguments: Backend.all) func aVerifiedContextIsKnownExactlyWhenItsSessionWasWritten(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let now = fixture.now
        let user = try await fixture.user()
        let signedIn = SessionRecord(
            id: SessionID(rawValue: "ses_known"), secretHash: "secret-known", userId: user.id, createdAt: now, authTime: now,
            amr: [.pwd], acr: .singleFactor, verifications: VerificationHistory(), ipAddress: nil, userAgent: nil,
            deviceId: nil, lastSeenAt: now, idleExpiresAt: now + 3600, expiresAt: now + 86_400)
        try await store.createSession(
            signedIn, audit: AuditRecord(at: now, event: .signIn, outcome: .success, userId: user.id, sessionId: signedIn.id),
            remembering: VerifiedContext(user: user.id, deviceHash: "dev-a", networkPrefix: "203.0.113.0/24", at: now))
        let known = try await history(fixture, signedIn)
        #expect(known.deviceKnown && known.networkKnown)

        _ = try await store.revokeSession(
            id: signedIn.id, at: now + 1, audit: AuditRecord(at: now + 1, event: .signOut, outcome: .success, sessionId: signedIn.id))
        await #expect(throws: StoreError.self) {
            try await store.recordReauthentication(
                session: signedIn.id, newSecretHash: "secret-again", authTime: now + 2, amr: [.pwd], acr: .singleFactor,
                verifications: VerificationHistory(), levels: LevelHistory(),
                audit: AuditRecord(at: now + 2, event: .reauthentication, outcome: .success, sessionId: signedIn.id),
                remembering: VerifiedContext(user: user.id, deviceHash: "dev-b", networkPrefix: nil, at: now + 2))
        }
        #expect(try await history(fixture, signedIn, device: "dev-b").deviceKnown == false)
    }

    @Test(arguments: Backend.all) func aNetworkNotSeenFor90DaysIsNewAgain(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let now = fixture.now
        let session = try await fixture.session(for: try await fixture.user())
        try await store.rememberVerificationContext(user: session.userId, deviceHash: nil, networkPrefix: "203.0.113.0/24", at: now)
        #expect(try await history(fixture, session, at: now + .days(90)).networkKnown)
        #expect(try await history(fixture, session, at: now + .days(91)).networkKnown == false)
    }

    @Test(arguments: Backend.all) func failuresAreCountedForTheAccountAndTheAddressApart(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let now = fixture.now
        let session = try await fixture.session(for: try await fixture.user())
        for (subject, ip) in [("subject", "198.51.100.1"), ("other", "203.0.113.7"), ("other", "203.0.113.7")] {
            let attempt = try #require(try await store.reserveAttempt(subject: subject, kind: .password, ipAddress: ip, at: now, policy: .init()))
            try await store.settleAttempt(attempt, outcome: .failed)
        }
        let counted = try await history(fixture, session)
        #expect(counted.recentFailures == 1)
        #expect(counted.addressFailures == 2)
    }

    /// A request without a browser cookie or a peer address (a test, a socket without one): no device is known,
    /// the network is not held against it, and no address has failures, while the account's still count.
    @Test(arguments: Backend.all) func aRequestWithoutDeviceOrAddressHasNothingToCompare(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let session = try await fixture.session(for: try await fixture.user())
        try await store.rememberVerificationContext(
            user: session.userId, deviceHash: "dev-a", networkPrefix: "203.0.113.0/24", at: fixture.now)
        let attempt = try #require(
            try await store.reserveAttempt(subject: "subject", kind: .password, ipAddress: "203.0.113.7", at: fixture.now, policy: .init()))
        try await store.settleAttempt(attempt, outcome: .failed)

        let history = try await store.riskHistory(
            user: session.userId, session: session.id, deviceHash: nil, networkPrefix: nil, attemptSubject: "subject",
            ipAddress: nil, at: fixture.now, networkMemory: .days(90), velocityWindow: .minutes(15))

        #expect(history == RiskHistory(deviceKnown: false, networkKnown: true, recentFailures: 1, addressFailures: 0, flags: []))
    }

    @Test(arguments: Backend.all) func flagsLastUntilTheirEndOrTheirClearing(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let store = fixture.store
        let now = fixture.now
        let session = try await fixture.session(for: try await fixture.user())
        let audit = AuditRecord(at: now, event: .riskStepUpRequired, outcome: .info)
        try await store.flagSession(id: session.id, reason: "device_not_compliant", until: nil, at: now, audit: audit)
        try await store.flagSession(id: session.id, reason: "credential_change", until: now + 60, at: now, audit: audit)
        #expect(try await history(fixture, session).flags == ["device_not_compliant", "credential_change"])
        #expect(try await history(fixture, session, at: now + 61).flags == ["device_not_compliant"])
        try await store.clearSessionFlag(id: session.id, reason: "device_not_compliant", at: now + 62)
        #expect(try await history(fixture, session, at: now + 63).flags.isEmpty)
    }
}
