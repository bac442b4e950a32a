/// A webhook endpoint URL that passed the registration rules: absolute `http`/`https`, a host, no user
/// info, no fragment. Whether its host may be contacted is a separate, network-dependent question
/// (see ``AddressScope``): it is asked at registration and again for every connection.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let isHTTPS: Bool
    /// Lower-cased host name, or an IP literal without brackets.
    public let host: String
    public let port: Int

    /// The host as an address when the URL names one directly.
    public var literalAddress: IPAddress? { IPAddress(host) }
    public var description: String { text }

    /// Parses and checks `text`; the error says what an operator must change.
    public static func parse(_ text: String) -> Result<WebhookURL, WebhookURLProblem> {
        guard text.utf8.count <= 2000 else { return .failure(.init("the URL is longer than 2000 characters")) }
        guard !text.contains(where: { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) })
        else { return .failure(.init("the URL must not contain spaces or control characters")) }
        guard !text.contains("#") else { return .failure(.init("the URL must not contain a fragment")) }
        let lower = text.lowercased()
        let isHTTPS: Bool
        if lower.hasPrefix("https://") { isHTTPS = true } else if lower.hasPrefix("http://") { isHTTPS = false } else {
            return .failure(.init("the URL must be absolute and use http or https"))
        }
        let afterScheme = lower.dropFirst(isHTTPS ? 8 : 7)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
        guard !authority.isEmpty else { return .failure(.init("the URL must name a host")) }
        guard !authority.contains("@") else {
            return .failure(.init("the URL must not contain user info; authenticate with the signature instead"))
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.init("unterminated IPv6 address")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .failure(.init("unexpected text after the IPv6 address")) }
                portText = rest.dropFirst()
            }
            guard IPAddress.parseV6(host) != nil else { return .failure(.init("'\(host)' is not an IPv6 address")) }
        } else {
            let pieces = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = pieces[0]
            portText = pieces.count == 2 ? pieces[1] : nil
            if host.hasSuffix(".") { host = host.dropLast() }
            guard !host.isEmpty,
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { return .failure(.init("the host must be a DNS name or an IP address")) }
        }
        var port = isHTTPS ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else { return .failure(.init("the port must be a number from 1 to 65535")) }
            port = value
        }
        return .success(WebhookURL(text: text, isHTTPS: isHTTPS, host: String(host), port: port))
    }
}

/// Why a webhook URL was refused.
public struct WebhookURLProblem: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
