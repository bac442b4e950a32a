/// The `binding_message` of a backchannel authentication request (OpenID CIBA Core 7.1): a short text the
/// agent shows on its side and the approval page shows verbatim, so the person can tell the request they
/// are approving is the one the agent made.
public struct BindingMessage: Equatable, Sendable {
    /// Issue 12 item 4: at most 64 characters (user-perceived characters, not bytes).
    public static let maximumLength = 64

    public let text: String

    /// Validates a message as sent; `nil` in, `nil` out (the parameter is optional).
    ///
    /// Refused with `invalid_binding_message` (CIBA Core 13) when longer than the limit or holding a character
    /// a person cannot see or that changes how the rest reads: controls (Cc), format characters (Cf: bidi
    /// overrides, zero-width joiners), line and paragraph separators (Zl, Zp). "Shown verbatim" would be a
    /// lie if the page could be made to show something other than what the agent displays.
    public static func validate(_ raw: String?) throws(OAuthError) -> BindingMessage? {
        guard let raw else { return nil }
        guard !raw.isEmpty else { throw OAuthError(.invalidBindingMessage, "binding_message is empty") }
        guard raw.count <= maximumLength else {
            throw OAuthError(.invalidBindingMessage, "binding_message is longer than \(maximumLength) characters")
        }
        for scalar in raw.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                throw OAuthError(
                    .invalidBindingMessage, "binding_message holds an invisible or control character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
            default: continue
            }
        }
        guard raw.contains(where: { !$0.isWhitespace }) else {
            throw OAuthError(.invalidBindingMessage, "binding_message is blank")
        }
        return BindingMessage(text: raw)
    }
}
