import GRDB
import ReverifyCore

extension PostgresStore {
    /// Deletes what ``RetentionPolicy`` says may go, in one transaction, children before parents where no
    /// cascade does it, so foreign keys hold throughout: the same statements, in the same order, as
    /// `SQLiteStore.prune`. Counts are the rows each statement deleted itself (PostgreSQL, like SQLite, does not
    /// count rows a cascade removed).
    public func prune(_ cutoffs: RetentionCutoffs) async throws -> PruneReport {
        let expired = cutoffs.expiredBefore.rawValue
        let counters = cutoffs.countersBefore.rawValue
        let delivered = cutoffs.deliveredBefore.rawValue
        let audit = cutoffs.auditBefore.rawValue
        return try await database.write { tx in
            var report = PruneReport()
            func delete(_ sql: String, _ arguments: PostgresTransaction.Arguments) async throws -> Int {
                try await tx.execute(sql, arguments)
            }
            // Pending flows, and what hangs off them, once expired: a flow is usable only before expires_at
            // (HostedPageRoutes.withPending). Magic links and upstream states cascade with their flow.
            report.authorizationRequests = try await delete(
                "DELETE FROM authorization_requests WHERE expires_at < ?", [expired])
            report.magicLinks = try await delete("DELETE FROM magic_links WHERE expires_at < ?", [expired])
            report.upstreamStates = try await delete("DELETE FROM upstream_states WHERE expires_at < ?", [expired])
            // Pushed requests (RFC 9126) are usable only before expires_at; a request object's jti is kept
            // only while the object could still be replayed.
            report.pushedRequests =
                try await delete("DELETE FROM pushed_authorization_requests WHERE expires_at < ?", [expired])
                + delete("DELETE FROM request_object_jtis WHERE expires_at < ?", [expired])
                + delete("DELETE FROM client_assertion_jtis WHERE expires_at < ?", [expired])
            // An agent's approval request can be answered and polled only before expires_at (ApprovalPolling);
            // tokens it yielded rest on their own grant, pruned below like any other.
            report.agentApprovals = try await delete("DELETE FROM agent_approvals WHERE expires_at < ?", [expired])
            // Codes that never produced a grant; a redeemed code stays with its grant (its replay revokes it).
            report.authorizationCodes = try await delete(
                "DELETE FROM authorization_codes WHERE expires_at < ? AND grant_id IS NULL", [expired])
            // Tokens past their expiry can never be accepted again.
            report.accessTokens = try await delete("DELETE FROM access_tokens WHERE expires_at < ?", [expired])
            report.refreshTokens = try await delete("DELETE FROM refresh_tokens WHERE expires_at < ?", [expired])
            // A grant goes when it was revoked, or when it has no token left (nothing can use it any more);
            // its codes and any remaining tokens cascade with it.
            report.grants = try await delete(
                """
                DELETE FROM grants WHERE revoked_at < ?
                   OR (created_at < ?
                       AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.id)
                       AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.id))
                """, [expired, expired])
            // A session goes once it ended (revoked, idle or absolute expiry) and no grant rests on it: a grant
            // may outlive its session (offline access), and deleting the session would cascade into it.
            report.sessions = try await delete(
                """
                DELETE FROM sessions
                 WHERE (revoked_at < ? OR expires_at < ? OR idle_expires_at < ?)
                   AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.session_id = sessions.id)
                """, [expired, expired, expired])
            // Lockout and send-limit counters, once no count can include them (RetentionPolicy.attemptCounters).
            report.verificationAttempts = try await delete(
                "DELETE FROM verification_attempts WHERE started_at < ?", [counters])
            report.emailSendRequests = try await delete(
                "DELETE FROM email_send_requests WHERE requested_at < ?", [counters])
            // Webhooks: only deliveries that were delivered; pending and dead-lettered ones stay (they can still
            // be sent or replayed). An event goes when no delivery of it is left.
            report.webhookDeliveries = try await delete(
                "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at_ms < ?", [delivered])
            report.outboxEvents = try await delete(
                """
                DELETE FROM outbox_events WHERE enqueued_at_ms < ?
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id)
                """, [delivered])
            report.auditRows = try await delete("DELETE FROM audit_log WHERE at < ?", [audit])
            // Authenticator-app enrolments never confirmed (issue 18): their secret was shown and never proven, and
            // no verification can use it; kept a day like any expired flow, then gone with the secret.
            report.unconfirmedFactors = try await delete(
                "DELETE FROM user_factors WHERE confirmed_at IS NULL AND created_at < ?", [expired])
            // Passkey challenges (WebAuthn L3 13.4.3): single use and 5 minutes long, so one used or expired can
            // never be accepted again. Gone a day after.
            report.passkeyChallenges = try await delete(
                "DELETE FROM passkey_challenges WHERE expires_at < ? OR used_at < ?", [expired, expired])
            return report
        }
    }
}
