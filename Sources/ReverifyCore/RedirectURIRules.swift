/// Registration rules for redirect URIs (RFC 9700 2.1, RFC 8252 7.3, OIDC Registration 2).
public enum RedirectURIRules {
    /// Why a URI cannot be registered, or `nil` if it can.
    ///
    /// Absolute `https` URIs without a fragment; plain `http` only for loopback hosts, where native
    /// and development apps live.
    public static func problem(with uri: String) -> String? {
        guard uri.utf8.count <= 2000 else { return "the URI is longer than 2000 characters" }
        guard !uri.contains("#") else { return "the URI must not contain a fragment" }
        guard !uri.contains(where: { $0.isWhitespace }) else { return "the URI must not contain spaces" }
        let lower = uri.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") { scheme = "https" } else if lower.hasPrefix("http://") { scheme = "http" } else {
            return "the URI must be absolute and use https (or http for a loopback host)"
        }
        let afterScheme = lower.dropFirst(scheme.count + 3)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
        guard !authority.isEmpty, !authority.contains("@") else { return "the URI must name a host and no user info" }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" }
        }
        guard !host.isEmpty else { return "the URI must name a host" }
        if scheme == "http" && !["localhost", "127.0.0.1", "::1"].contains(String(host)) {
            return "plain http is only allowed for loopback hosts (localhost, 127.0.0.1, [::1])"
        }
        return nil
    }
}
