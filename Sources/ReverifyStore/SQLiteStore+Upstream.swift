import GRDB
import ReverifyCore

extension SQLiteStore {
    public func createUpstreamProvider(_ provider: UpstreamProviderRecord) async throws {
        let stored = try sealed(provider)
        do {
            try await writer.write { db in try stored.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw StoreError.invalid("an upstream provider named \(provider.name) already exists")
        }
    }

    public func upstreamProviders() async throws -> [UpstreamProviderRecord] {
        // Every sign-in page lists them (issue 13: on the calling thread, by a kept statement).
        try await readStatementInline { db in
            try UpstreamProviderRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM upstream_providers ORDER BY created_at, name"))
        }.map(opened)
    }

    public func upstreamProvider(id: UpstreamProviderID) async throws -> UpstreamProviderRecord? {
        try await writer.read { db in try UpstreamProviderRecord.fetchOne(db, key: id) }.map(opened)
    }

    public func upstreamProvider(name: String) async throws -> UpstreamProviderRecord? {
        // `name` is declared COLLATE NOCASE.
        try await writer.read { db in try UpstreamProviderRecord.filter(Column("name") == name).fetchOne(db) }.map(opened)
    }

    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws {
        try await writer.write { db in
            guard try UpstreamProviderRecord.deleteOne(db, key: id) else { throw StoreError.notFound("upstream provider \(id)") }
        }
    }

    public func setUpstreamLinkDomains(_ domains: [String], for id: UpstreamProviderID) async throws {
        try await writer.write { db in
            guard var provider = try UpstreamProviderRecord.fetchOne(db, key: id) else {
                throw StoreError.notFound("upstream provider \(id)")
            }
            provider.linkDomains = domains
            try provider.update(db)
        }
    }

    public func linkIdentity(_ identity: UserIdentityRecord) async throws {
        try await writer.write { db in
            guard try UserRecord.exists(db, key: identity.userId) else { throw StoreError.notFound("user \(identity.userId)") }
            guard try UpstreamProviderRecord.exists(db, key: identity.providerId) else {
                throw StoreError.notFound("upstream provider \(identity.providerId)")
            }
            if let existing = try UserIdentityRecord.filter(
                Column("provider_id") == identity.providerId && Column("subject") == identity.subject
            ).fetchOne(db) {
                if existing.userId == identity.userId { return }
                throw StoreError.invalid("that upstream subject is already linked to another user")
            }
            if try UserIdentityRecord.filter(Column("provider_id") == identity.providerId && Column("user_id") == identity.userId)
                .fetchCount(db) > 0
            {
                throw StoreError.invalid("the user is already linked to another subject at this provider")
            }
            try identity.insert(db)
        }
    }

    public func identity(provider: UpstreamProviderID, subject: String) async throws -> UserIdentityRecord? {
        try await writer.read { db in
            try UserIdentityRecord.filter(Column("provider_id") == provider && Column("subject") == subject).fetchOne(db)
        }
    }

    public func identities(user: UserID) async throws -> [UserIdentityRecord] {
        try await writer.read { db in
            try UserIdentityRecord.filter(Column("user_id") == user).order(Column("created_at")).fetchAll(db)
        }
    }

    public func saveUpstreamState(_ state: UpstreamStateRecord) async throws {
        try await writer.write { db in try state.insert(db) }
    }

    public func claimUpstreamState(hash: String, at now: UnixTime) async throws -> UpstreamStateClaim {
        try await writer.write { db in
            guard var state = try UpstreamStateRecord.fetchOne(db, key: hash) else { return .unknown }
            if state.usedAt != nil { return .alreadyUsed(state) }
            state.usedAt = now
            try state.update(db)
            return now >= state.expiresAt ? .expired(state) : .claimed(state)
        }
    }
}
