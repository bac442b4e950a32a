import Foundation

/// An email with a plain-text and an HTML body, rendered to RFC 5322 / MIME for delivery.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var fromName: String
    public var to: String
    public var subject: String
    public var text: String
    public var html: String

    public init(from: String, fromName: String, to: String, subject: String, text: String, html: String) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// The message as sent on the wire (before SMTP dot-stuffing), CRLF line endings.
    ///
    /// Bodies are base64 (RFC 2045 6.8) so any UTF-8 and any line length survive every relay;
    /// header values are stripped of CR/LF so nothing user-influenced can inject a header.
    public func rendered(messageID: String, date: Date, boundary: String) -> String {
        let headers = [
            "From: \(Self.encodedWord(Self.headerSafe(fromName))) <\(Self.headerSafe(from))>",
            "To: <\(Self.headerSafe(to))>",
            "Subject: \(Self.encodedWord(Self.headerSafe(subject)))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let parts = [("text/plain", text), ("text/html", html)].map { type, body in
            [
                "--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", "",
                Self.base64Lines(body),
            ].joined(separator: "\r\n")
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + parts.joined(separator: "\r\n") + "\r\n--\(boundary)--\r\n"
    }

    static func headerSafe(_ value: String) -> String {
        value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// RFC 2047 encoded-word for non-ASCII header text.
    static func encodedWord(_ value: String) -> String {
        value.allSatisfy(\.isASCII) ? value : "=?utf-8?B?\(Data(value.utf8).base64EncodedString())?="
    }

    static func base64Lines(_ body: String) -> String {
        Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// Sends mail. Two real implementations: ``SMTPMailer`` and ``FileOutboxMailer``.
public protocol Mailer: Sendable {
    /// Delivers one message or throws; never retries on its own, so a message is never sent twice.
    func send(_ message: MailMessage) async throws
}
