import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Counts guesses at an account's secrets (passwords, emailed codes) against its lockout, and requests
/// for verification emails against the send limits (issue 9, items 3, 4 and 9).
///
/// Everything is keyed on the normalised email the request names, whether or not an account exists:
/// a lockout or a limit that only real accounts could reach would tell an attacker which are real.
struct AttemptGuard {
    let services: Services
    var policy: LockoutPolicy { services.configuration.lockout }

    /// The counter key for an email address: a hash, so typed addresses that are not accounts are never
    /// stored in the clear.
    static func subject(email: String) -> String {
        let normalised = AccountRules.normalizedEmail(email) ?? email
        return TokenHash(of: "reverify-attempts:" + normalised.lowercased()).hex
    }

    /// Reserves a guess before the secret is checked; `nil` when the account is locked.
    func reserve(email: String, kind: AttemptKind, context: ReverifyRequestContext) async throws -> AttemptReservation? {
        try await services.store.reserveAttempt(
            subject: Self.subject(email: email), kind: kind, ipAddress: context.ipAddress, at: services.time.now(),
            policy: policy)
    }

    func settle(_ reservation: AttemptReservation, succeeded: Bool) async throws {
        try await services.store.settleAttempt(reservation, outcome: succeeded ? .succeeded : .failed)
    }

    /// Gives a reserved guess back unchecked (the hashing pool was full): it does not count.
    func void(_ reservation: AttemptReservation) async throws {
        try await services.store.settleAttempt(reservation, outcome: .void)
    }

    func isLockedOut(email: String) async throws -> Bool {
        try await services.store.isLockedOut(subject: Self.subject(email: email), at: services.time.now(), policy: policy)
    }

    func reserveEmailSend(email: String, context: ReverifyRequestContext) async throws -> EmailSendDecision {
        try await services.store.reserveEmailSend(
            subject: Self.subject(email: email), ipAddress: context.ipAddress, at: services.time.now(),
            limits: services.configuration.oneTimeCodes, lockout: policy)
    }

    /// The message a locked account sees, the same for every address.
    static let lockedOutMessage = "Too many failed attempts. Wait a few minutes, then try again."
}
