import GRDB
import ReverifyCore

extension PostgresStore {
    public func createApproval(_ approval: ApprovalRecord, audit: AuditRecord) async throws {
        throw Self.notImplemented(#function)
    }

    public func approval(id: ApprovalID) async throws -> ApprovalRecord? {
        throw Self.notImplemented(#function)
    }

    public func approval(linkHash: String) async throws -> ApprovalRecord? {
        throw Self.notImplemented(#function)
    }

    public func approval(requestHash: String) async throws -> ApprovalRecord? {
        throw Self.notImplemented(#function)
    }

    public func approvals(user: UserID?, pendingAt: UnixTime?) async throws -> [ApprovalRecord] {
        throw Self.notImplemented(#function)
    }

    public func startApprovalVerification(id: ApprovalID, flow: AuthorizationRequestRecord, at: UnixTime) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func completeApprovalVerification(
        request: AuthorizationRequestID, approval: ApprovalID, session: SessionID, at: UnixTime
    ) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func decideApproval(
        id: ApprovalID, decision: ApprovalDecision, verification: ApprovingVerification, at: UnixTime, audit: AuditRecord
    ) async throws -> Bool {
        throw Self.notImplemented(#function)
    }

    public func pollApproval(requestHash: String, client: ClientID, at now: UnixTime, issuance: ApprovalIssuance)
        async throws -> ApprovalPoll {
        throw Self.notImplemented(#function)
    }

    public func revokeApproval(id: ApprovalID, at now: UnixTime, audit: AuditRecord) async throws -> ApprovalRevocation {
        throw Self.notImplemented(#function)
    }
}
