import Foundation

/// A compact JWS split into its JSON header and payload, read before the signature is checked (to choose
/// the keys and refuse a disallowed `alg`). Nothing read here is trusted until jwt-kit verified it.
struct UnverifiedJWT {
    let header: [String: Any]
    let payload: Data

    init?(_ token: String) {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let headerData = Self.decode(segments[0]), let payload = Self.decode(segments[1]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any]
        else { return nil }
        self.header = header
        self.payload = payload
    }

    /// The payload as a JSON object, for claims of arbitrary shape.
    var payloadObject: [String: Any]? { (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any] }

    /// RFC 7515 2: base64url without padding.
    private static func decode(_ segment: Substring) -> Data? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
