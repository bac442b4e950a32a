import Foundation
import GRDB
import PostgresNIO
import ReverifyCore

/// Users, clients and signing keys: the PostgreSQL twins of the same methods in `SQLiteStore.swift`.
/// Text sort keys are compared byte-wise (`COLLATE "C"`), as SQLite's BINARY collation does, so both backends
/// list in the same order whatever the database's locale.
extension PostgresStore {
    // MARK: Users

    public func createUser(_ user: UserRecord) async throws {
        do {
            try await database.write { tx in try await tx.insert(user) }
        } catch let error as PSQLError
            where error.isUniqueViolation && error.serverInfo?[.constraintName] == "users_email_lower"
        {
            // The address is unique ignoring case, as SQLite's COLLATE NOCASE UNIQUE; a clash of ids is another
            // error, as it is for SQLite (SQLITE_CONSTRAINT_PRIMARYKEY).
            throw StoreError.duplicateEmail(user.email)
        }
    }

    public func user(id: UserID) async throws -> UserRecord? {
        try await database.read { tx in try await Self.user(id: id, tx) }
    }

    public func user(email: String) async throws -> UserRecord? {
        // lower(email) is what the unique index covers: the same case-insensitive match as SQLite's NOCASE.
        try await database.read { tx in
            try await tx.fetchOne(UserRecord.self, "SELECT * FROM users WHERE lower(email) = lower(?)", [email])
        }
    }

    public func users() async throws -> [UserRecord] {
        // SQLite orders the NOCASE email column ignoring ASCII case.
        try await database.read { tx in
            try await tx.fetchAll(UserRecord.self, #"SELECT * FROM users ORDER BY created_at, lower(email) COLLATE "C""#)
        }
    }

    public func setPasswordHash(_ hash: String, for user: UserID, at: UnixTime) async throws {
        try await updateUser(user) { tx in
            try await tx.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", [hash, at, user])
        }
    }

    public func setDisabled(_ disabled: Bool, user: UserID, at: UnixTime) async throws {
        try await updateUser(user) { tx in
            try await tx.execute(
                "UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?", [disabled ? at : nil, at, user])
            if disabled {
                // A disabled account keeps no live session, and each ending is audited (and so published).
                // In the order SQLite's rowid scan gives: creation.
                let live = try await tx.values(
                    String.self, "SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, id",
                    [user])
                for id in live.map(SessionID.init(rawValue:)) {
                    try await tx.execute("UPDATE sessions SET revoked_at = ? WHERE id = ?", [at, id])
                    try await Self.revokeGrants(
                        try await Self.grantIDs(session: id, tx), at: at, reason: "user_disabled", tx)
                    try await tx.insert(
                        AuditRecord(
                            at: at, event: .sessionRevoked, outcome: .success, userId: user, sessionId: id,
                            reason: "user_disabled"))
                }
            }
        }
    }

    public func updateProfile(_ user: UserRecord, at: UnixTime) async throws {
        try await updateUser(user.id) { tx in
            try await tx.execute(
                """
                UPDATE users SET name = ?, given_name = ?, family_name = ?, preferred_username = ?, updated_at = ?
                WHERE id = ?
                """, [user.name, user.givenName, user.familyName, user.preferredUsername, at, user.id])
        }
    }

    private func updateUser(_ id: UserID, _ change: @escaping @Sendable (PostgresTransaction) async throws -> Void)
        async throws
    {
        try await database.write { tx in
            guard try await tx.count("SELECT COUNT(*) FROM users WHERE id = ?", [id]) > 0 else {
                throw StoreError.notFound("user \(id)")
            }
            try await change(tx)
        }
    }

    // MARK: Clients

    public func createClient(_ client: StoredClient) async throws {
        defer { clientCache.invalidate() }
        try await database.write { tx in
            try await tx.insert(client.record)
            for (i, uri) in client.redirectURIs.enumerated() {
                try await tx.insert(ClientRedirectURIRecord(clientId: client.record.id, kind: .login, uri: uri, position: i))
            }
            for (i, uri) in client.postLogoutRedirectURIs.enumerated() {
                try await tx.insert(
                    ClientRedirectURIRecord(clientId: client.record.id, kind: .postLogout, uri: uri, position: i))
            }
        }
    }

    /// Served from ``clientCache`` while the `clients` generation is unchanged, exactly as
    /// `SQLiteStore.client(id:)` (issue 13): the generation is read in the same snapshot as the client, and the
    /// statement triggers of migration 0022 bump it in the transaction of any change, whichever instance makes it.
    public func client(id: ClientID) async throws -> StoredClient? {
        let readAt = ContinuousClock.now
        if let cached = clientCache.fresh(id, now: readAt) { return cached }
        let epoch = clientCache.epoch
        let (generation, client) = try await database.read { tx in
            let generation =
                try await tx.value(Int64.self, "SELECT generation FROM cache_generations WHERE name = 'clients'") ?? 0
            guard
                let record = try await tx.fetchOne(
                    ClientRecord.self, "SELECT * FROM clients WHERE id = ? AND internal = 0", [id])
            else { return (generation, nil as StoredClient?) }
            return (generation, try await Self.assemble(record, tx))
        }
        clientCache.store(client, id: id, generation: generation, readAt: readAt, epoch: epoch)
        return client
    }

    public func clients() async throws -> [StoredClient] {
        try await database.read { tx in
            var clients: [StoredClient] = []
            // Reverify's own internal client (migration 0020) is no relying party: never listed.
            for record in try await tx.fetchAll(
                ClientRecord.self, #"SELECT * FROM clients WHERE internal = 0 ORDER BY created_at, name COLLATE "C""#)
            {
                clients.append(try await Self.assemble(record, tx))
            }
            return clients
        }
    }

    private static func assemble(_ record: ClientRecord, _ tx: PostgresTransaction) async throws -> StoredClient {
        let uris = try await tx.fetchAll(
            ClientRedirectURIRecord.self, "SELECT * FROM client_redirect_uris WHERE client_id = ? ORDER BY position",
            [record.id])
        return StoredClient(
            record: record,
            redirectURIs: uris.filter { $0.kind == .login }.map(\.uri),
            postLogoutRedirectURIs: uris.filter { $0.kind == .postLogout }.map(\.uri))
    }

    public func setClientSecretHash(_ hash: String, for client: ClientID, at: UnixTime) async throws {
        defer { clientCache.invalidate() }
        try await database.write { tx in
            let changed = try await tx.execute(
                "UPDATE clients SET secret_hash = ?, secret_rotated_at = ? WHERE id = ? AND internal = 0", [hash, at, client])
            if changed == 0 { throw StoreError.notFound("client \(client)") }
        }
    }

    public func deleteClient(id: ClientID) async throws {
        defer { clientCache.invalidate() }
        try await database.write { tx in
            // Its redirect URIs go with it (ON DELETE CASCADE).
            guard try await tx.execute("DELETE FROM clients WHERE id = ? AND internal = 0", [id]) == 1 else {
                throw StoreError.notFound("client \(id)")
            }
        }
    }

    // MARK: Signing keys

    public func publishedSigningKeys() async throws -> [SigningKeyRecord] {
        try await database.read { tx in
            try await tx.fetchAll(
                SigningKeyRecord.self,
                #"SELECT * FROM signing_keys WHERE removed_at IS NULL ORDER BY created_at DESC, kid COLLATE "C""#)
        }.map(opened)
    }

    public func allSigningKeys() async throws -> [SigningKeyRecord] {
        try await database.read { tx in
            try await tx.fetchAll(SigningKeyRecord.self, #"SELECT * FROM signing_keys ORDER BY created_at DESC, kid COLLATE "C""#)
        }.map(opened)
    }

    public func addActiveSigningKey(_ key: SigningKeyRecord) async throws {
        let key = try sealed(key)
        try await database.write { tx in
            // One active key per algorithm: the new one retires only its own kind.
            try await tx.execute(
                "UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL AND removed_at IS NULL AND algorithm = ?",
                [key.createdAt, key.algorithm])
            try await tx.insert(key)
        }
    }

    public func removeSigningKey(kid: String, at: UnixTime) async throws {
        try await database.write { tx in
            guard let key = try await tx.fetchOne(SigningKeyRecord.self, "SELECT * FROM signing_keys WHERE kid = ?", [kid]),
                key.removedAt == nil
            else {
                throw StoreError.notFound("published key \(kid)")
            }
            guard key.retiredAt != nil else {
                throw StoreError.invalid("key \(kid) is the active signing key; rotate first")
            }
            try await tx.execute("UPDATE signing_keys SET removed_at = ? WHERE kid = ?", [at, kid])
        }
    }
}
