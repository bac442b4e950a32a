/// The SMTP DATA phase's transparency rules (RFC 5321 4.5.2).
enum SMTPDataEncoding {
    /// Normalises line endings to CRLF, doubles a leading "." on any line, and appends the
    /// terminating `CRLF.CRLF`, so no line of the message can end the DATA phase early.
    static func encode(_ message: String) -> String {
        var lines = message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let stuffed = lines.map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        return stuffed.joined(separator: "\r\n") + "\r\n.\r\n"
    }
}
