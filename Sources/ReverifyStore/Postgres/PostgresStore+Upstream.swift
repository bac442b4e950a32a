import GRDB
import ReverifyCore

extension PostgresStore {
    public func createUpstreamProvider(_ provider: UpstreamProviderRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func upstreamProviders() async throws -> [UpstreamProviderRecord] {
        throw Self.notImplemented(#function)
    }

    public func upstreamProvider(id: UpstreamProviderID) async throws -> UpstreamProviderRecord? {
        throw Self.notImplemented(#function)
    }

    public func upstreamProvider(name: String) async throws -> UpstreamProviderRecord? {
        throw Self.notImplemented(#function)
    }

    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws {
        throw Self.notImplemented(#function)
    }

    public func setUpstreamLinkDomains(_ domains: [String], for id: UpstreamProviderID) async throws {
        throw Self.notImplemented(#function)
    }

    public func linkIdentity(_ identity: UserIdentityRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func identity(provider: UpstreamProviderID, subject: String) async throws -> UserIdentityRecord? {
        throw Self.notImplemented(#function)
    }

    public func identities(user: UserID) async throws -> [UserIdentityRecord] {
        throw Self.notImplemented(#function)
    }

    public func saveUpstreamState(_ state: UpstreamStateRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func claimUpstreamState(hash: String, at now: UnixTime) async throws -> UpstreamStateClaim {
        throw Self.notImplemented(#function)
    }
}
