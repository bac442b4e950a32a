/// The kinds of second factor a user can enrol (issue 18). Stored in `user_factors.kind`; each kind keeps its
/// own columns (a TOTP secret and last used step; a passkey's credential, added by the passkey work).
///
/// Not to be confused with ``FactorKind`` (knowledge, possession, inherence), which is what a verification proves.
public enum UserFactorKind: String, Codable, Sendable, CaseIterable {
    /// An authenticator app (RFC 6238 TOTP).
    case totp
    /// A WebAuthn credential.
    case passkey

    /// How the security page names it.
    public var displayName: String {
        switch self {
        case .totp: "Authenticator app"
        case .passkey: "Passkey"
        }
    }

    /// The verification method a factor of this kind is used with.
    public var method: AuthMethod? {
        switch self {
        case .totp: .totp
        case .passkey: .passkey
        }
    }
}

/// What happens after a hosted verification completes. Every verification completes in one place
/// (`VerificationCompletion`) and then continues as its pending flow asked (issue 18):
/// an authorization answers the relying party with a code; an account-security re-verification returns to
/// the security page; an agent's approval goes on to the approval page (issue 12).
public enum VerificationContinuation: Codable, Equatable, Sendable {
    /// Issue a code to the client of the pending authorization request (the default).
    case authorization
    /// Return to Reverify's own account security page at this path.
    case accountSecurity(returnTo: String)
    /// Reach the level the approval needs (one more step if necessary), then show the approval page, never a code.
    case approval(ApprovalID)
}

/// The rules of the account security page (issue 18, items 2 and 5).
public enum AccountSecurityRules {
    /// Adding or removing any factor needs a verification of the session within this window.
    public static let reverificationWindow = Seconds.minutes(5)

    /// The internal client whose hosted flows are the security page's own re-verifications (migration 0020):
    /// never listed, with no redirect URI or secret, so no relying party can use it.
    public static let clientID = ClientID(rawValue: "cli_reverify_account")

    /// Whether a session whose last active verification was at `authTime` may change factors at `now`.
    public static func mayChangeFactors(authTime: UnixTime, now: UnixTime) -> Bool {
        now >= authTime && now - authTime <= reverificationWindow
    }

    /// The page a re-verification returns to: only Reverify's own security pages, so a crafted value can
    /// never turn the continuation into an open redirect.
    public static func returnPath(_ candidate: String?) -> String {
        let home = "/account/security"
        guard let candidate, candidate == home || candidate.hasPrefix(home + "/"),
            candidate.count <= 200, !candidate.contains(".."), !candidate.contains("//"),
            candidate.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "\\" })
        else { return home }
        return candidate
    }

    /// A factor name as typed: trimmed, at most 64 characters, printable; `nil` when nothing usable is left.
    public static func factorName(_ typed: String?) -> String? {
        guard let typed else { return nil }
        let printable = String(typed.unicodeScalars.filter {
            !$0.properties.isDefaultIgnorableCodePoint && $0.value >= 0x20 && $0.value != 0x7F
        })
        let trimmed = Substring(printable).trimmingWhitespace
        guard !trimmed.isEmpty, trimmed.count <= 64 else { return nil }
        return trimmed
    }
}
