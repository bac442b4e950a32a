/// Where a person's approval of an agent's action stands (issue 12 item 4).
public enum ApprovalStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for the person.
    case pending
    /// Approved after a fresh verification; the next poll yields the tokens.
    case granted
    /// The person said no.
    case denied
    /// The approved request yielded its tokens (an approval works once).
    case redeemed
    /// An operator revoked it (`reverify approvals revoke`); polls as `access_denied`.
    case revoked
}
