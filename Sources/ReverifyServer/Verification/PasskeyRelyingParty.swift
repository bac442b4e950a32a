import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Reverify as a WebAuthn relying party (issue 18): the RP ID is the issuer's host and the only origin
/// accepted is the issuer's own. WebAuthn refuses IP addresses as RP IDs (L3 5.1.3 step 8: a valid domain),
/// so an issuer such as `http://127.0.0.1:8080` offers no passkeys; `http://localhost:8080` does (browsers
/// treat localhost as a secure context).
struct PasskeyRelyingParty {
    let rpID: String
    let origin: String
    var verifier: PasskeyVerifier { PasskeyVerifier(rpID: rpID, origin: origin) }

    /// A challenge lives this long and works once (issue 18: 5 minutes).
    static let challengeLifetime = Seconds.minutes(5)
    /// The ceremony timeout the browser is given, a little under the challenge's lifetime.
    static let timeoutSeconds = 240
    /// The most a posted credential may weigh (an RSA-4096 key and extensions fit easily).
    static let maxCredentialJSON = 16 * 1024

    init?(configuration: ServerConfiguration) {
        guard let url = URLComponents(string: configuration.issuer), let scheme = url.scheme?.lowercased(),
            let host = url.host?.lowercased(), !host.isEmpty, IPAddress(host) == nil, !host.contains(":"),
            !host.hasPrefix("[")
        else { return nil }
        rpID = host
        origin = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// The opaque WebAuthn user handle (L3 5.4.3: no personal data): the bytes of the user's random id.
    static func userHandle(_ user: UserID) -> String { Data(user.rawValue.utf8).base64URLEncodedString() }

    /// Issues a challenge: 256 random bits, returned as base64url for the options, stored only as its hash.
    func issueChallenge(
        _ ceremony: PasskeyCeremonyKind, user: UserID?, session: SessionID? = nil, request: AuthorizationRequestID? = nil,
        services: Services
    ) async throws -> String {
        let token = OpaqueToken.generate()
        let now = services.time.now()
        try await services.store.savePasskeyChallenge(
            PasskeyChallengeRecord(
                challengeHash: token.hash.hex, ceremony: ceremony, userId: user, sessionId: session, requestId: request,
                createdAt: now, expiresAt: now + Self.challengeLifetime))
        return token.value
    }

    /// Options as the JSON a page carries in `data-passkey-options`.
    static func json(_ options: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(options)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func descriptors(_ passkeys: [StoredPasskey]) -> [PasskeyDescriptor] {
        passkeys.map { PasskeyDescriptor(id: $0.credential.credentialId, transports: $0.credential.transportList) }
    }
}

/// A credential a browser posted back, decoded: the JSON, its binary members, and the challenge its client
/// data names (which finds the stored challenge by hash).
struct PostedPasskey {
    let json: PasskeyCredentialJSON
    let clientDataJSON: [UInt8]
    let challenge: String

    init(_ text: String?) throws(WebAuthnError) {
        guard let text, !text.isEmpty, text.utf8.count <= PasskeyRelyingParty.maxCredentialJSON,
            let json = try? JSONDecoder().decode(PasskeyCredentialJSON.self, from: Data(text.utf8))
        else { throw .malformedClientData("no passkey response was received") }
        guard json.type == "public-key", json.id == json.rawId, Self.bytes(json.rawId)?.isEmpty == false else {
            throw .malformedClientData("the credential id is malformed")
        }
        guard let clientData = Self.bytes(json.response.clientDataJSON),
            let collected = try? JSONDecoder().decode(CollectedClientData.self, from: Data(clientData))
        else { throw .malformedClientData("clientDataJSON is not valid") }
        self.json = json
        clientDataJSON = clientData
        challenge = collected.challenge
    }

    /// RFC 4648 5 base64url without padding, strictly: anything else is `nil`.
    static func bytes(_ text: String?) -> [UInt8]? {
        guard let text, text.utf8.allSatisfy({ $0.isBase64URL }), text.count % 4 != 1 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }

    /// The hash the challenge was stored under.
    var challengeHash: String { TokenHash(of: challenge).hex }
}

extension UInt8 {
    fileprivate var isBase64URL: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D
            || self == 0x5F
    }
}
