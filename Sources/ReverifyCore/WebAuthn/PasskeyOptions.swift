/// A credential the options name (WebAuthn L3 5.10.3 `PublicKeyCredentialDescriptorJSON`).
public struct PasskeyDescriptor: Codable, Equatable, Sendable {
    public var type = "public-key"
    /// base64url credential id.
    public let id: String
    public let transports: [String]?

    public init(id: String, transports: [String]?) {
        self.id = id
        self.transports = transports?.isEmpty == true ? nil : transports
    }
}

/// `navigator.credentials.create()` options in their JSON form (WebAuthn L3 5.1.8
/// `PublicKeyCredentialCreationOptionsJSON`), as issue 18 fixes them: `userVerification: required`,
/// `residentKey: preferred`, ES256/EdDSA/RS256, `attestation: none`, the user's passkeys excluded.
public struct PasskeyCreationOptions: Encodable, Equatable, Sendable {
    public struct RelyingParty: Encodable, Equatable, Sendable {
        public let id: String
        public let name: String
    }

    public struct User: Encodable, Equatable, Sendable {
        /// base64url user handle: opaque, never an email (L3 5.4.3).
        public let id: String
        public let name: String
        public let displayName: String
    }

    public struct Parameter: Encodable, Equatable, Sendable {
        public var type = "public-key"
        public let alg: Int64
    }

    public struct Selection: Encodable, Equatable, Sendable {
        public var residentKey = "preferred"
        public var requireResidentKey = false
        public var userVerification = "required"
    }

    public let rp: RelyingParty
    public let user: User
    public let challenge: String
    public let pubKeyCredParams: [Parameter]
    public let timeout: Int
    public let excludeCredentials: [PasskeyDescriptor]
    public var authenticatorSelection = Selection()
    public var attestation = "none"

    public init(
        rpID: String, rpName: String, userHandle: String, userName: String, challenge: String, timeoutSeconds: Int,
        exclude: [PasskeyDescriptor]
    ) {
        rp = RelyingParty(id: rpID, name: rpName)
        user = User(id: userHandle, name: userName, displayName: userName)
        self.challenge = challenge
        pubKeyCredParams = PasskeyRules.algorithms.map { Parameter(alg: $0.rawValue) }
        timeout = timeoutSeconds * 1000
        excludeCredentials = exclude
    }
}

/// `navigator.credentials.get()` options in their JSON form (WebAuthn L3 5.1.9
/// `PublicKeyCredentialRequestOptionsJSON`). An empty `allowCredentials` lets the user pick any
/// discoverable passkey for the RP ID.
public struct PasskeyRequestOptions: Encodable, Equatable, Sendable {
    public let challenge: String
    public let timeout: Int
    public let rpId: String
    public let allowCredentials: [PasskeyDescriptor]
    public var userVerification = "required"

    public init(rpID: String, challenge: String, timeoutSeconds: Int, allow: [PasskeyDescriptor]) {
        self.challenge = challenge
        timeout = timeoutSeconds * 1000
        rpId = rpID
        allowCredentials = allow
    }
}

/// The JSON a browser posts back (WebAuthn L3 5.1.10 `toJSON()`): a registration or an assertion response.
/// Binary members stay base64url text until the edge decodes them.
public struct PasskeyCredentialJSON: Decodable, Equatable, Sendable {
    public struct Response: Decodable, Equatable, Sendable {
        public let clientDataJSON: String
        public let attestationObject: String?
        public let transports: [String]?
        public let authenticatorData: String?
        public let signature: String?
        public let userHandle: String?
    }

    public let id: String
    public let rawId: String
    public let type: String
    public let response: Response

    /// Transports worth remembering for `allowCredentials` hints: the L3 5.8.4 values, at most 8.
    public var knownTransports: [String] {
        let known: Set<String> = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"]
        return Array((response.transports ?? []).filter(known.contains).prefix(8))
    }
}
