/// A registration's `attestationObject` (WebAuthn L3 6.5.4): `{fmt, attStmt, authData}`.
///
/// Reverify asks for `attestation: "none"` and accepts only the `none` format (L3 8.7), whose statement is an
/// empty map: it does not judge authenticator makes, so other formats would be verified for nothing. A
/// browser honouring `none` replaces any attestation with it.
public struct AttestationObject: Equatable, Sendable {
    public let format: String
    public let authenticatorData: AuthenticatorData

    public init(_ bytes: [UInt8]) throws(WebAuthnError) {
        let item: CBOR
        do { item = try CBORDecoder().decode(bytes) } catch { throw .malformedAttestationObject("\(error)") }
        guard let entries = item.mapEntries else { throw .malformedAttestationObject("not a CBOR map") }
        guard entries.count == 3, let format = item[text: "fmt"]?.textString,
            let statement = item[text: "attStmt"]?.mapEntries, let authData = item[text: "authData"]?.byteString
        else { throw .malformedAttestationObject("expected exactly fmt, attStmt and authData") }
        guard format == "none" else { throw .unsupportedAttestationFormat(format) }
        // L3 8.7: the none format's statement is the empty map.
        guard statement.isEmpty else { throw .malformedAttestationObject("a none attestation must have an empty attStmt") }
        self.format = format
        authenticatorData = try AuthenticatorData(authData)
    }
}
