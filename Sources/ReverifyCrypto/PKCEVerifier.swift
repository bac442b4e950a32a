import Crypto
import Foundation
import ReverifyCore

extension PKCEChallenge {
    /// RFC 7636 4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time.
    public func isSatisfied(by verifier: String) -> Bool {
        guard PKCEChallenge.isWellFormedVerifier(verifier) else { return false }
        let computed = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        return ConstantTime.equals(computed, value)
    }
}
