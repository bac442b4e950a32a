import GRDB
import ReverifyCore

/// Emailed links and codes: the twins of `SQLiteStore+MagicLinks`. A code check is a read-then-write (the
/// failed-attempt counter, the single use) kept exact across instances by the serializable write.
extension PostgresStore {
    public func createMagicLink(_ link: MagicLinkRecord) async throws {
        try await database.write { tx in
            // One live secret per flow: asking again supersedes what was sent before.
            try await tx.execute(
                "UPDATE magic_links SET consumed_at = ? WHERE request_id = ? AND consumed_at IS NULL",
                [link.createdAt, link.requestId])
            try await tx.insert(link)
        }
    }

    public func recordMagicLinkDelivery(id: String, sentAt: UnixTime?, error: String?) async throws {
        try await database.write { tx in
            _ = try await tx.execute("UPDATE magic_links SET sent_at = ?, send_error = ? WHERE id = ?", [sentAt, error, id])
        }
    }

    public func magicLink(tokenHash: String) async throws -> MagicLinkRecord? {
        try await database.read { tx in try await Self.magicLink(tokenHash: tokenHash, tx) }
    }

    public func newestMagicLink(request: AuthorizationRequestID) async throws -> MagicLinkRecord? {
        try await database.read { tx in try await Self.newestLink(request: request, tx) }
    }

    static func magicLink(tokenHash: String, _ tx: PostgresTransaction) async throws -> MagicLinkRecord? {
        try await tx.fetchOne(MagicLinkRecord.self, "SELECT * FROM magic_links WHERE token_hash = ?", [tokenHash])
    }

    /// The flow's latest message; two sent in one second are told apart by insertion order (`rowid`, migration
    /// 0004's identity column, as for SQLite).
    static func newestLink(request: AuthorizationRequestID, _ tx: PostgresTransaction) async throws -> MagicLinkRecord? {
        try await tx.fetchOne(
            MagicLinkRecord.self,
            "SELECT * FROM magic_links WHERE request_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [request])
    }

    public func checkCode(
        request: AuthorizationRequestID, codeHash: @escaping @Sendable (String) -> String, policy: OneTimeCodePolicy, at now: UnixTime
    ) async throws -> CodeCheck {
        try await database.write { tx in
            guard var link = try await Self.newestLink(request: request, tx) else { return .none }
            let state = policy.state(
                expiresAt: link.expiresAt, consumedAt: link.consumedAt, failedAttempts: link.failedAttempts, now: now)
            guard state == .usable else { return .unusable(state) }
            if ConstantTime.equals(codeHash(link.id), link.codeHash) {
                link.consumedAt = now
                try await tx.update(link)
                return .accepted(link)
            }
            link.failedAttempts += 1
            try await tx.update(link)
            return .wrong(remainingAttempts: max(0, policy.maximumAttempts - link.failedAttempts))
        }
    }

    public func consumeMagicLink(tokenHash: String, policy: OneTimeCodePolicy, at now: UnixTime) async throws
        -> MagicLinkRecord?
    {
        try await database.write { tx in
            guard var link = try await Self.magicLink(tokenHash: tokenHash, tx),
                policy.state(expiresAt: link.expiresAt, consumedAt: link.consumedAt, failedAttempts: link.failedAttempts, now: now)
                    == .usable
            else { return nil }
            link.consumedAt = now
            try await tx.update(link)
            return link
        }
    }
}
