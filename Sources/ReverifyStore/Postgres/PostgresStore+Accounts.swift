import GRDB
import ReverifyCore

extension PostgresStore {
    public func createUser(_ user: UserRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func user(id: UserID) async throws -> UserRecord? {
        throw Self.notImplemented(#function)
    }

    public func user(email: String) async throws -> UserRecord? {
        throw Self.notImplemented(#function)
    }

    public func users() async throws -> [UserRecord] {
        throw Self.notImplemented(#function)
    }

    public func setPasswordHash(_ hash: String, for user: UserID, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func setDisabled(_ disabled: Bool, user: UserID, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func updateProfile(_ user: UserRecord, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func createClient(_ client: StoredClient) async throws {
        throw Self.notImplemented(#function)
    }

    public func client(id: ClientID) async throws -> StoredClient? {
        throw Self.notImplemented(#function)
    }

    public func clients() async throws -> [StoredClient] {
        throw Self.notImplemented(#function)
    }

    public func setClientSecretHash(_ hash: String, for client: ClientID, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }

    public func deleteClient(id: ClientID) async throws {
        throw Self.notImplemented(#function)
    }

    public func publishedSigningKeys() async throws -> [SigningKeyRecord] {
        throw Self.notImplemented(#function)
    }

    public func allSigningKeys() async throws -> [SigningKeyRecord] {
        throw Self.notImplemented(#function)
    }

    public func addActiveSigningKey(_ key: SigningKeyRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func removeSigningKey(kid: String, at: UnixTime) async throws {
        throw Self.notImplemented(#function)
    }
}
