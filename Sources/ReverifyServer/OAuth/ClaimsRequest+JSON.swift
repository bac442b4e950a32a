import Foundation
import ReverifyCore

extension ClaimsRequest {
    /// Reads the `claims` parameter: a JSON object (OIDC Core 5.5), anything else is `nil`.
    @Sendable static func decodeJSON(_ text: String) -> ClaimsRequest? {
        let data = Data(text.utf8)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else { return nil }
        return try? JSONDecoder().decode(ClaimsRequest.self, from: data)
    }
}
