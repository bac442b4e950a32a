/// A `WWW-Authenticate: Bearer` challenge from a resource server (RFC 6750 3), including the step-up
/// challenge of RFC 9470 3 (`insufficient_user_authentication` with `acr_values` and `max_age`).
///
/// Reverify's demo resource server sends it and the demo relying party reads it back to know which
/// `acr_values` and `max_age` to send to the authorization endpoint.
public struct BearerChallenge: Equatable, Sendable {
    /// The `error` codes a Bearer challenge carries (RFC 6750 3.1, RFC 9470 3).
    public enum ErrorCode: String, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
        /// RFC 9470 3: the token's `acr` or `auth_time` do not meet the resource's requirements.
        case insufficientUserAuthentication = "insufficient_user_authentication"
    }

    public var error: ErrorCode?
    public var errorDescription: String?
    /// RFC 9470 3: the levels acceptable, in order of preference, as full `acr` values. Values this
    /// server does not know are kept as text: a challenge may come from any resource server.
    public var acrValues: [String]
    /// RFC 9470 3: the largest acceptable age of the authentication, in seconds.
    public var maxAge: Seconds?

    public init(error: ErrorCode? = nil, errorDescription: String? = nil, acrValues: [String] = [], maxAge: Seconds? = nil) {
        self.error = error
        self.errorDescription = errorDescription
        self.acrValues = acrValues
        self.maxAge = maxAge
    }

    /// The header value: `Bearer` alone when no credentials were presented (RFC 6750 3.1 says no error
    /// code then), otherwise `Bearer error="…", error_description="…", acr_values="…", max_age=…`.
    public var headerValue: String {
        var params: [String] = []
        if let error { params.append("error=\(Self.quoted(error.rawValue))") }
        if let errorDescription { params.append("error_description=\(Self.quoted(errorDescription))") }
        if !acrValues.isEmpty { params.append("acr_values=\(Self.quoted(acrValues.joined(separator: " ")))") }
        // RFC 9470 3 example: max_age is sent as a bare token.
        if let maxAge { params.append("max_age=\(maxAge.rawValue)") }
        return params.isEmpty ? "Bearer" : "Bearer " + params.joined(separator: ", ")
    }

    /// Reads a `Bearer` challenge (RFC 9110 11.6.1 `auth-scheme [ 1*SP #auth-param ]`, values a `token`
    /// or a `quoted-string`, RFC 9110 5.6.4). `nil` when the header is not a well-formed Bearer challenge,
    /// carries a parameter twice, or has a `max_age` that is not a non-negative integer.
    public init?(header: String) {
        var scanner = Substring(header)
        scanner = scanner.drop { $0 == " " }
        let scheme = scanner.prefix { Self.isTokenCharacter($0) }
        guard scheme.lowercased() == "bearer" else { return nil }
        scanner = scanner.dropFirst(scheme.count)
        var params: [String: String] = [:]
        while true {
            scanner = scanner.drop { $0 == " " || $0 == "\t" || $0 == "," }
            if scanner.isEmpty { break }
            let name = scanner.prefix { Self.isTokenCharacter($0) }
            guard !name.isEmpty else { return nil }
            scanner = scanner.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
            guard scanner.first == "=" else { return nil }
            scanner = scanner.dropFirst().drop { $0 == " " || $0 == "\t" }
            let value: String
            if scanner.first == "\"" {
                guard let (text, rest) = Self.quotedString(scanner) else { return nil }
                value = text
                scanner = rest
            } else {
                let token = scanner.prefix { Self.isTokenCharacter($0) }
                guard !token.isEmpty else { return nil }
                value = String(token)
                scanner = scanner.dropFirst(token.count)
            }
            // RFC 9110 11.2: each parameter name only once per challenge.
            guard params.updateValue(value, forKey: name.lowercased()) == nil else { return nil }
            scanner = scanner.drop { $0 == " " || $0 == "\t" }
            guard scanner.isEmpty || scanner.first == "," else { return nil }
        }
        if let raw = params["error"] {
            guard let code = ErrorCode(rawValue: raw) else { return nil }
            error = code
        }
        errorDescription = params["error_description"]
        acrValues = params["acr_values"].map { $0.split(separator: " ").map(String.init) } ?? []
        if let raw = params["max_age"] {
            guard let seconds = Int64(raw), seconds >= 0 else { return nil }
            maxAge = Seconds(seconds)
        }
    }

    /// RFC 9110 5.6.2 `tchar`.
    static func isTokenCharacter(_ c: Character) -> Bool {
        guard c.isASCII, let v = c.asciiValue else { return false }
        if (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) { return true }
        return "!#$%&'*+-.^_`|~".contains(c)
    }

    /// RFC 9110 5.6.4: `"` … `"` with `\` escaping the next character.
    static func quotedString(_ text: Substring) -> (String, Substring)? {
        var result = ""
        var rest = text.dropFirst()
        while let c = rest.first {
            rest = rest.dropFirst()
            switch c {
            case "\"": return (result, rest)
            case "\\":
                guard let escaped = rest.first else { return nil }
                result.append(escaped)
                rest = rest.dropFirst()
            default: result.append(c)
            }
        }
        return nil
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for c in text {
            if c == "\"" || c == "\\" { result.append("\\") }
            result.append(c)
        }
        return result + "\""
    }
}
