import GRDB
import ReverifyCore

extension PostgresStore {
    public func createMagicLink(_ link: MagicLinkRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func recordMagicLinkDelivery(id: String, sentAt: UnixTime?, error: String?) async throws {
        throw Self.notImplemented(#function)
    }

    public func magicLink(tokenHash: String) async throws -> MagicLinkRecord? {
        throw Self.notImplemented(#function)
    }

    public func newestMagicLink(request: AuthorizationRequestID) async throws -> MagicLinkRecord? {
        throw Self.notImplemented(#function)
    }

    public func checkCode(
        request: AuthorizationRequestID, codeHash: @Sendable (String) -> String, policy: OneTimeCodePolicy, at now: UnixTime
    ) async throws -> CodeCheck {
        throw Self.notImplemented(#function)
    }

    public func consumeMagicLink(tokenHash: String, policy: OneTimeCodePolicy, at now: UnixTime) async throws
        -> MagicLinkRecord? {
        throw Self.notImplemented(#function)
    }
}
