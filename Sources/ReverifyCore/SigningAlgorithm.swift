/// JWS algorithms Reverify signs with (RFC 7518 3.1). ES256 is the default; RS256 exists because
/// OIDC Discovery 3 requires it to be offered for ID tokens, and some relying parties support nothing else.
public enum SigningAlgorithm: String, Codable, Sendable, CaseIterable {
    case es256 = "ES256"
    case rs256 = "RS256"
}
