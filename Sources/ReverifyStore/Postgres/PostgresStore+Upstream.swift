import GRDB
import PostgresNIO
import ReverifyCore

/// Upstream identity providers, linked identities and sign-in states on PostgreSQL, as `SQLiteStore+Upstream`.
extension PostgresStore {
    public func createUpstreamProvider(_ provider: UpstreamProviderRecord) async throws {
        let stored = try sealed(provider)
        do {
            try await database.write { tx in try await tx.insert(stored) }
        } catch let error as PSQLError where error.isUniqueViolation {
            // The id, or the name ignoring case (`upstream_providers_name_lower`), as SQLite's COLLATE NOCASE UNIQUE.
            throw StoreError.invalid("an upstream provider named \(provider.name) already exists")
        }
    }

    public func upstreamProviders() async throws -> [UpstreamProviderRecord] {
        try await database.read { tx in
            try await tx.fetchAll(UpstreamProviderRecord.self, "SELECT * FROM upstream_providers ORDER BY created_at, name")
        }.map(opened)
    }

    public func upstreamProvider(id: UpstreamProviderID) async throws -> UpstreamProviderRecord? {
        try await database.read { tx in try await Self.upstreamProvider(id: id, tx) }.map(opened)
    }

    public func upstreamProvider(name: String) async throws -> UpstreamProviderRecord? {
        // Names are unique ignoring case; the `lower(name)` index serves this lookup.
        try await database.read { tx in
            try await tx.fetchOne(UpstreamProviderRecord.self, "SELECT * FROM upstream_providers WHERE lower(name) = lower(?)", [name])
        }.map(opened)
    }

    static func upstreamProvider(id: UpstreamProviderID, _ tx: PostgresTransaction) async throws -> UpstreamProviderRecord? {
        try await tx.fetchOne(UpstreamProviderRecord.self, "SELECT * FROM upstream_providers WHERE id = ?", [id])
    }

    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws {
        try await database.write { tx in
            guard try await tx.execute("DELETE FROM upstream_providers WHERE id = ?", [id]) == 1 else {
                throw StoreError.notFound("upstream provider \(id)")
            }
        }
    }

    public func setUpstreamLinkDomains(_ domains: [String], for id: UpstreamProviderID) async throws {
        try await database.write { tx in
            guard var provider = try await Self.upstreamProvider(id: id, tx) else {
                throw StoreError.notFound("upstream provider \(id)")
            }
            provider.linkDomains = domains
            try await tx.update(provider)
        }
    }

    public func linkIdentity(_ identity: UserIdentityRecord) async throws {
        try await database.write { tx in
            guard try await Self.user(id: identity.userId, tx) != nil else { throw StoreError.notFound("user \(identity.userId)") }
            guard try await Self.upstreamProvider(id: identity.providerId, tx) != nil else {
                throw StoreError.notFound("upstream provider \(identity.providerId)")
            }
            if let existing = try await tx.fetchOne(
                UserIdentityRecord.self, "SELECT * FROM user_identities WHERE provider_id = ? AND subject = ?",
                [identity.providerId, identity.subject])
            {
                if existing.userId == identity.userId { return }
                throw StoreError.invalid("that upstream subject is already linked to another user")
            }
            if try await tx.count(
                "SELECT COUNT(*) FROM user_identities WHERE provider_id = ? AND user_id = ?", [identity.providerId, identity.userId])
                > 0
            {
                throw StoreError.invalid("the user is already linked to another subject at this provider")
            }
            try await tx.insert(identity)
        }
    }

    public func identity(provider: UpstreamProviderID, subject: String) async throws -> UserIdentityRecord? {
        try await database.read { tx in
            try await tx.fetchOne(
                UserIdentityRecord.self, "SELECT * FROM user_identities WHERE provider_id = ? AND subject = ?", [provider, subject])
        }
    }

    public func identities(user: UserID) async throws -> [UserIdentityRecord] {
        // SQLite breaks ties of created_at by insertion order (rowid); this table has no such column, so the
        // primary key breaks them instead.
        try await database.read { tx in
            try await tx.fetchAll(
                UserIdentityRecord.self, "SELECT * FROM user_identities WHERE user_id = ? ORDER BY created_at, provider_id, subject",
                [user])
        }
    }

    public func saveUpstreamState(_ state: UpstreamStateRecord) async throws {
        try await database.write { tx in try await tx.insert(state) }
    }

    public func claimUpstreamState(hash: String, at now: UnixTime) async throws -> UpstreamStateClaim {
        // Single use: of two callbacks with one state, the serializable transactions let only the first set used_at.
        try await database.write { tx in
            guard var state = try await tx.fetchOne(
                UpstreamStateRecord.self, "SELECT * FROM upstream_states WHERE state_hash = ?", [hash])
            else { return .unknown }
            if state.usedAt != nil { return .alreadyUsed(state) }
            state.usedAt = now
            try await tx.update(state)
            return now >= state.expiresAt ? .expired(state) : .claimed(state)
        }
    }
}
