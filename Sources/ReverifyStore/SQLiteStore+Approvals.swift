import GRDB
import ReverifyCore

/// The tokens an approved request yields, made before the poll's transaction so that transaction can store them.
public struct ApprovalIssuance: Sendable {
    public let grantID: GrantID
    public let jti: String
    public let expiresAt: UnixTime
    public let oneShot: Bool
    /// The `agent.approval_redeemed` row; the store adds the user, session and approval.
    public let audit: AuditRecord

    public init(grantID: GrantID, jti: String, expiresAt: UnixTime, oneShot: Bool, audit: AuditRecord) {
        self.grantID = grantID
        self.jti = jti
        self.expiresAt = expiresAt
        self.oneShot = oneShot
        self.audit = audit
    }
}

extension SQLiteStore {
    public func createApproval(_ approval: ApprovalRecord, audit: AuditRecord) async throws {
        try await writer.write { db in
            try approval.insert(db)
            try Self.append(audit, db)
        }
    }

    public func approval(id: ApprovalID) async throws -> ApprovalRecord? {
        try await writer.read { db in try ApprovalRecord.fetchOne(db, key: id) }
    }

    public func approval(linkHash: String) async throws -> ApprovalRecord? {
        try await writer.read { db in try ApprovalRecord.filter(Column("link_hash") == linkHash).fetchOne(db) }
    }

    public func approval(requestHash: String) async throws -> ApprovalRecord? {
        try await writer.read { db in try ApprovalRecord.filter(Column("request_hash") == requestHash).fetchOne(db) }
    }

    public func approvals(user: UserID?, pendingAt: UnixTime?) async throws -> [ApprovalRecord] {
        try await writer.read { db in
            // Newest first; within one second, the later insert first (ids are random).
            var request = ApprovalRecord.order(Column("created_at").desc, Column.rowID.desc)
            if let user { request = request.filter(Column("user_id") == user) }
            if let pendingAt {
                request = request.filter(Column("status") == ApprovalStatus.pending && Column("expires_at") > pendingAt)
            }
            return try request.fetchAll(db)
        }
    }

    public func startApprovalVerification(id: ApprovalID, flow: AuthorizationRequestRecord, at: UnixTime) async throws -> Bool {
        try await writer.write { db in
            let changed = try ApprovalRecord.filter(key: id)
                .filter(Column("status") == ApprovalStatus.pending && Column("expires_at") > at && Column("user_id") != nil)
                .updateAll(
                    db, Column("browser_hash").set(to: flow.browserHash), Column("verification_started_at").set(to: at),
                    Column("verified_session_id").set(to: nil))
            guard changed == 1 else { return false }
            try flow.insert(db)
            return true
        }
    }

    public func completeApprovalVerification(
        request: AuthorizationRequestID, approval: ApprovalID, session: SessionID, at: UnixTime
    ) async throws -> Bool {
        try await writer.write { db in
            guard try Self.completeAuthorizationRequest(id: request, at: at, db) else { return false }
            try ApprovalRecord.filter(key: approval).filter(Column("status") == ApprovalStatus.pending)
                .updateAll(db, Column("verified_session_id").set(to: session))
            return true
        }
    }

    public func decideApproval(
        id: ApprovalID, decision: ApprovalDecision, verification: ApprovingVerification, at: UnixTime, audit: AuditRecord
    ) async throws -> Bool {
        try await writer.write { db in
            guard var approval = try ApprovalRecord.fetchOne(db, key: id), approval.isPending(at: at) else { return false }
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
            try approval.update(db)
            try Self.append(audit, db)
            return true
        }
    }

    public func pollApproval(requestHash: String, client: ClientID, at now: UnixTime, issuance: ApprovalIssuance)
        async throws -> ApprovalPoll
    {
        try await writer.write { db in
            guard var approval = try ApprovalRecord.filter(Column("request_hash") == requestHash).fetchOne(db),
                approval.clientId == client
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
                try grant.insert(db)
                try AccessTokenRecord(jti: issuance.jti, grantId: grant.id, expiresAt: issuance.expiresAt, oneShot: issuance.oneShot)
                    .insert(db)
                approval.grantId = grant.id
                approval.redeemedAt = now
                var audit = issuance.audit
                audit.userId = user
                audit.sessionId = session
                audit.detail["approval_id"] = approval.id.rawValue
                audit.detail["jti"] = issuance.jti
                try Self.append(audit, db)
            }
            try approval.update(db)
            return .answered(outcome, approval)
        }
    }

    public func revokeApproval(id: ApprovalID, at now: UnixTime, audit: AuditRecord) async throws -> ApprovalRevocation {
        try await writer.write { db in
            guard var approval = try ApprovalRecord.fetchOne(db, key: id) else { return .unknown }
            switch approval.status {
            case .denied, .revoked: return .alreadyFinal(approval.status)
            case .pending where now >= approval.expiresAt: return .alreadyFinal(.pending)
            case .pending, .granted, .redeemed: break
            }
            let grant = approval.status == .redeemed ? approval.grantId : nil
            if let grant {
                try Self.revokeGrants(GrantRecord.filter(key: grant), at: now, reason: "approval_revoked", db: db)
            }
            approval.status = .revoked
            approval.revokedAt = now
            try approval.update(db)
            var audit = audit
            audit.userId = approval.userId
            audit.clientId = approval.clientId
            audit.detail["approval_id"] = approval.id.rawValue
            if let grant { audit.detail["revoked_grant"] = grant.rawValue }
            try Self.append(audit, db)
            return .revoked(revokedGrant: grant)
        }
    }
}
