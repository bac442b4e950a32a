/// Validation of what operators and users type for accounts.
public enum AccountRules {
    /// A pragmatic email check: one `@`, a dotted domain, no spaces, RFC 5321 length limits.
    public static func normalizedEmail(_ raw: String) -> String? {
        // Most addresses arrive trimmed: only copy when there is whitespace to cut (issue 13 profile).
        let email = raw.first?.isWhitespace == true || raw.last?.isWhitespace == true
            ? String(raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) : raw
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64,
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" })
        else { return nil }
        return email
    }

    /// NIST SP 800-63B 5.1.1.2: at least 8 characters; long passphrases allowed (capped for Argon2 input).
    public static func passwordProblem(_ password: String) -> String? {
        if password.count < 8 { return "the password must be at least 8 characters" }
        if password.utf8.count > 1024 { return "the password must be at most 1024 bytes" }
        return nil
    }
}

