import Foundation
import HummingbirdOTP
import ReverifyCore
import ReverifyCrypto
import ReverifyQR

/// An authenticator app's shared secret (RFC 6238) and what is derived from it: codes (HummingbirdOTP's
/// RFC 4226/6238 computation), the `otpauth://` URI and its QR code.
struct TOTPAuthenticator {
    /// The HMAC key, as HummingbirdOTP takes it: a string whose UTF-8 bytes are the key.
    let secret: String

    /// A new secret with 160 bits of entropy (RFC 4226 4 R6: at least 128, 160 recommended): 32 symbols drawn
    /// uniformly from the 32-letter base32 alphabet. HummingbirdOTP keys HMAC with the secret's UTF-8 bytes, so
    /// the key is printable by construction and survives every text column and form field unchanged.
    static func generateSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        // Each random byte's low 5 bits pick a symbol: 256 is a multiple of 32, so the choice is unbiased.
        return String(SecureRandom.bytes(32).map { alphabet[Int($0 & 0x1F)] })
    }

    /// The 6-digit code for one time step.
    func code(step: Int64) -> String {
        let totp = TOTP(secret: secret, length: TOTPRules.digits, timeStep: Int(TOTPRules.period), hashFunction: .sha1)
        return TOTPRules.formatted(totp.compute(date: Date(timeIntervalSince1970: TimeInterval(step * TOTPRules.period))))
    }

    /// The newest step within the allowed drift whose code is `typed`.
    func matchingStep(_ typed: String, at time: UnixTime) -> Int64? {
        TOTPRules.matchingStep(typed, at: time) { code(step: $0) }
    }

    /// The Key Uri Format authenticator apps scan:
    /// `otpauth://totp/Reverify:EMAIL?secret=…&issuer=Reverify&algorithm=SHA1&digits=6&period=30`.
    /// HummingbirdOTP builds the label, base32 secret and issuer; the parameters it leaves out when they are
    /// the defaults are spelled out, because some apps do not assume them.
    func uri(email: String) -> String {
        let totp = TOTP(secret: secret, length: TOTPRules.digits, timeStep: Int(TOTPRules.period), hashFunction: .sha1)
        return totp.createAuthenticatorURL(label: "Reverify:" + email, issuer: "Reverify")
            + "&algorithm=SHA1&digits=\(TOTPRules.digits)&period=\(TOTPRules.period)"
    }

    /// The URI as a QR code, an SVG drawn on the server (no script, no third-party image service).
    func qrSVG(email: String) throws -> String {
        try QRCode(text: uri(email: email)).svg(moduleSize: 5, title: "QR code for your authenticator app")
    }
}
