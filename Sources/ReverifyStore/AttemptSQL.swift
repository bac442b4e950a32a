/// The queries that count verification attempts, shared by both stores: the lockout's (issue 9) and the risk
/// history's (issue 11). Each names the outcome it counts, and `verification_attempts_subject` and
/// `verification_attempts_ip` hold (…, outcome, started_at) (migration 0024), so each is answered from an
/// index alone and costs the same however many attempts an account or an address made (issue 13).
enum AttemptSQL {
    /// Failed or unfinished attempts of a subject since a time: arguments subject, since.
    static let unsuccessfulSince = """
        SELECT COUNT(*) FROM verification_attempts
        WHERE subject = ? AND outcome IN ('pending', 'failed') AND started_at >= ?
        """
    /// When a subject last succeeded: argument subject. One index lookup (the maximum of the last column).
    static let lastSuccess = "SELECT MAX(started_at) FROM verification_attempts WHERE subject = ? AND outcome = 'succeeded'"
    /// Failed attempts of a subject since a time: arguments subject, since.
    static let failuresOfSubjectSince =
        "SELECT COUNT(*) FROM verification_attempts WHERE subject = ? AND outcome = 'failed' AND started_at >= ?"
    /// Failed attempts from an address since a time: arguments address, since.
    static let failuresFromAddressSince =
        "SELECT COUNT(*) FROM verification_attempts WHERE ip_address = ? AND outcome = 'failed' AND started_at >= ?"
}
