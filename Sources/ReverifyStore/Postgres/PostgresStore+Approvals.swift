import GRDB
import ReverifyCore

/// Agent approvals (OpenID CIBA poll mode, issue 12 item 4): the PostgreSQL twin of `SQLiteStore+Approvals`.
/// Every check-then-write below runs in one serializable transaction, so a decision, a redemption or a
/// revocation happens once however many instances race for it.
extension PostgresStore {
    public func createApproval(_ approval: ApprovalRecord, audit: AuditRecord) async throws {
        try await database.write { tx in
            try await tx.insert(approval)
            try await tx.insert(audit)
        }
    }

    public func approval(id: ApprovalID) async throws -> ApprovalRecord? {
        try await database.read { tx in try await Self.approval(id: id, tx) }
    }

    public func approval(linkHash: String) async throws -> ApprovalRecord? {
        try await database.read { tx in
            try await tx.fetchOne(ApprovalRecord.self, "SELECT * FROM agent_approvals WHERE link_hash = ?", [linkHash])
        }
    }

    public func approval(requestHash: String) async throws -> ApprovalRecord? {
        try await database.read { tx in try await Self.approval(requestHash: requestHash, tx) }
    }

    public func approvals(user: UserID?, pendingAt: UnixTime?) async throws -> [ApprovalRecord] {
        try await database.read { tx in
            var conditions: [String] = []
            var arguments: PostgresTransaction.Arguments = []
            if let user {
                conditions.append("user_id = ?")
                arguments.append(user)
            }
            if let pendingAt {
                conditions.append("status = ? AND expires_at > ?")
                arguments += [ApprovalStatus.pending, pendingAt]
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            // Newest first; within one second, the later insert first (ids are random): `rowid` is insertion order,
            // as SQLite's rowid is.
            return try await tx.fetchAll(
                ApprovalRecord.self, "SELECT * FROM agent_approvals\(filter) ORDER BY created_at DESC, rowid DESC", arguments)
        }
    }

    public func startApprovalVerification(id: ApprovalID, flow: AuthorizationRequestRecord, at: UnixTime) async throws -> Bool {
        try await database.write { tx in
            let changed = try await tx.execute(
                """
                UPDATE agent_approvals SET browser_hash = ?, verification_started_at = ?, verified_session_id = NULL
                 WHERE id = ? AND status = ? AND expires_at > ? AND user_id IS NOT NULL
                """, [flow.browserHash, at, id, ApprovalStatus.pending, at])
            guard changed == 1 else { return false }
            try await tx.insert(flow)
            return true
        }
    }

    public func completeApprovalVerification(
        request: AuthorizationRequestID, approval: ApprovalID, session: SessionID, at: UnixTime
    ) async throws -> Bool {
        try await database.write { tx in
            let completed = try await tx.execute(
                "UPDATE authorization_requests SET completed_at = ? WHERE id = ? AND completed_at IS NULL", [at, request])
            guard completed == 1 else { return false }
            try await tx.execute(
                "UPDATE agent_approvals SET verified_session_id = ? WHERE id = ? AND status = ?",
                [session, approval, ApprovalStatus.pending])
            return true
        }
    }

    public func decideApproval(
        id: ApprovalID, decision: ApprovalDecision, verification: ApprovingVerification, at: UnixTime, audit: AuditRecord
    ) async throws -> Bool {
        try await database.write { tx in
            guard var approval = try await Self.approval(id: id, tx), approval.isPending(at: at) else { return false }
            approval.decidedAt = at
            approval.sessionId = verification.session
            switch decision {
            case .approve:
                approval.status = .granted
                approval.authTime = verification.authTime
                approval.acr = verification.acr
                approval.amr = verification.amr
            case .deny:
                approval.status = .denied
            }
            try await tx.update(approval)
            try await tx.insert(audit)
            return true
        }
    }

    public func pollApproval(requestHash: String, client: ClientID, at now: UnixTime, issuance: ApprovalIssuance)
        async throws -> ApprovalPoll
    {
        try await database.write { tx in
            guard var approval = try await Self.approval(requestHash: requestHash, tx), approval.clientId == client
            else { return .unknown }
            var outcome = ApprovalPolling.poll(approval.pollState, at: now)
            // An approval whose session was deleted since cannot vouch for anything any more.
            if outcome == .issue, approval.sessionId == nil || approval.userId == nil { outcome = .denied }
            let next = outcome.applied(to: approval.pollState, at: now)
            guard next != approval.pollState else { return .answered(outcome, approval) }
            approval.status = next.status
            approval.lastPolledAt = next.lastPolledAt
            approval.pollInterval = next.interval
            if outcome == .issue, let user = approval.userId, let session = approval.sessionId {
                var grant = GrantRecord(
                    id: issuance.grantID, clientId: approval.clientId, userId: user, sessionId: session, scope: approval.scope,
                    nonce: nil, createdAt: now)
                grant.action = approval.action
                try await tx.insert(grant)
                try await tx.insert(
                    AccessTokenRecord(
                        jti: issuance.jti, grantId: grant.id, expiresAt: issuance.expiresAt, oneShot: issuance.oneShot))
                approval.grantId = grant.id
                approval.redeemedAt = now
                var audit = issuance.audit
                audit.userId = user
                audit.sessionId = session
                audit.detail["approval_id"] = approval.id.rawValue
                audit.detail["jti"] = issuance.jti
                try await tx.insert(audit)
            }
            try await tx.update(approval)
            return .answered(outcome, approval)
        }
    }

    public func revokeApproval(id: ApprovalID, at now: UnixTime, audit: AuditRecord) async throws -> ApprovalRevocation {
        try await database.write { tx in
            guard var approval = try await Self.approval(id: id, tx) else { return .unknown }
            switch approval.status {
            case .denied, .revoked: return .alreadyFinal(approval.status)
            case .pending where now >= approval.expiresAt: return .alreadyFinal(.pending)
            case .pending, .granted, .redeemed: break
            }
            let grant = approval.status == .redeemed ? approval.grantId : nil
            if let grant {
                try await Self.revokeGrants([grant], at: now, reason: "approval_revoked", tx)
            }
            approval.status = .revoked
            approval.revokedAt = now
            try await tx.update(approval)
            var audit = audit
            audit.userId = approval.userId
            audit.clientId = approval.clientId
            audit.detail["approval_id"] = approval.id.rawValue
            if let grant { audit.detail["revoked_grant"] = grant.rawValue }
            try await tx.insert(audit)
            return .revoked(revokedGrant: grant)
        }
    }

    static func approval(id: ApprovalID, _ tx: PostgresTransaction) async throws -> ApprovalRecord? {
        try await tx.fetchOne(ApprovalRecord.self, "SELECT * FROM agent_approvals WHERE id = ?", [id])
    }

    static func approval(requestHash: String, _ tx: PostgresTransaction) async throws -> ApprovalRecord? {
        try await tx.fetchOne(ApprovalRecord.self, "SELECT * FROM agent_approvals WHERE request_hash = ?", [requestHash])
    }
}
