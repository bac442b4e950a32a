/// The ceremony a `clientDataJSON` belongs to (WebAuthn L3 5.8.1 `type`).
public enum WebAuthnCeremony: String, Sendable {
    case registration = "webauthn.create"
    case authentication = "webauthn.get"
}

/// The members of `clientDataJSON` Reverify checks (WebAuthn L3 5.8.1). Decoded with a JSON decoder at the
/// edge; `tokenBinding` and unknown members are ignored, as the spec requires.
public struct CollectedClientData: Decodable, Equatable, Sendable {
    public let type: String
    /// base64url of the challenge, without padding.
    public let challenge: String
    public let origin: String
    public let crossOrigin: Bool?
    public let topOrigin: String?

    public init(type: String, challenge: String, origin: String, crossOrigin: Bool? = nil, topOrigin: String? = nil) {
        self.type = type
        self.challenge = challenge
        self.origin = origin
        self.crossOrigin = crossOrigin
        self.topOrigin = topOrigin
    }

    /// WebAuthn L3 7.1 steps 7-10 / 7.2 steps 10-13: type, challenge, origin and cross-origin use.
    ///
    /// - Parameters:
    ///   - expectedChallenge: base64url of the challenge Reverify issued, compared in constant time.
    ///   - origin: the issuer's origin (`scheme://host[:port]`), compared exactly: no subdomains, no other port.
    public func check(
        ceremony: WebAuthnCeremony, expectedChallenge: String, origin expectedOrigin: String
    ) throws(WebAuthnError) {
        guard type == ceremony.rawValue else { throw .wrongCeremony }
        guard ConstantTime.equals(challenge, expectedChallenge) else { throw .challengeMismatch }
        guard origin == expectedOrigin else { throw .originMismatch }
        // L3 7.1 step 10: a ceremony in a cross-origin iframe is refused (Reverify's pages are never framed).
        guard crossOrigin != true else { throw .crossOrigin }
    }
}
