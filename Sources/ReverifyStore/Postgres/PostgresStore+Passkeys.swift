import GRDB
import ReverifyCore

extension PostgresStore {
    public func passkeys(user: UserID) async throws -> [StoredPasskey] {
        throw Self.notImplemented(#function)
    }

    public func passkey(credentialID: String) async throws -> StoredPasskey? {
        throw Self.notImplemented(#function)
    }

    public func addPasskey(factor: FactorRecord, credential: PasskeyCredentialRecord, audit: AuditRecord) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func savePasskeyChallenge(_ challenge: PasskeyChallengeRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func consumePasskeyChallenge(hash: String, ceremony: PasskeyCeremonyKind, at now: UnixTime) async throws
        -> PasskeyChallengeRecord? {
        throw Self.notImplemented(#function)
    }

    public func recordPasskeyUse(factor: FactorID, previous: PasskeyState, next: PasskeyState, at now: UnixTime) async throws
        -> PasskeyUse {
        throw Self.notImplemented(#function)
    }
}
