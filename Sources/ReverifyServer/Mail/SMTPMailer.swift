import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to reach an SMTP submission server.
public struct SMTPSettings: Sendable, Equatable {
    /// Transport security (RFC 3207 STARTTLS, or RFC 8314 implicit TLS).
    public enum Security: String, Sendable, CaseIterable {
        case none
        case startTLS = "starttls"
        case implicitTLS = "tls"
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// Extra CA certificates (PEM) to trust, e.g. a private relay's.
    public var trustRootsFile: String?
    public var heloName: String

    public init(
        host: String, port: Int, security: Security = .none, username: String? = nil, password: String? = nil,
        trustRootsFile: String? = nil, heloName: String = "reverify.localhost"
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.trustRootsFile = trustRootsFile
        self.heloName = heloName
    }
}

/// Errors an SMTP exchange can end with. The server's reply text is kept for the operator; the
/// password never appears in any of them.
public enum SMTPError: Error, CustomStringConvertible, Equatable {
    case timeout
    case connectionClosed
    case malformedReply(String)
    case rejected(step: String, code: Int, message: String)
    case startTLSUnavailable
    case authenticationUnavailable
    /// The server sent more after its `220` to STARTTLS, before the TLS handshake (CVE-2011-0411).
    case dataBeforeTLS

    public var description: String {
        switch self {
        case .timeout: "the mail server did not answer in time"
        case .connectionClosed: "the mail server closed the connection"
        case .malformedReply(let line): "the mail server sent an unreadable reply: \(line.prefix(80))"
        case .rejected(let step, let code, let message): "the mail server refused \(step): \(code) \(message.prefix(200))"
        case .startTLSUnavailable: "the mail server does not offer STARTTLS"
        case .authenticationUnavailable: "the mail server offers neither AUTH PLAIN nor AUTH LOGIN"
        case .dataBeforeTLS:
            "the mail server sent data after its reply to STARTTLS, before TLS started (possible command injection); not sending"
        }
    }
}

/// A small SMTP client on SwiftNIO (no SMTP package is available in the mirror): EHLO, optional
/// STARTTLS or implicit TLS, AUTH PLAIN/LOGIN, MAIL/RCPT/DATA with dot-stuffing, reply-code checks.
public struct SMTPMailer: Mailer {
    public let settings: SMTPSettings
    public let timeout: TimeAmount

    public init(settings: SMTPSettings, timeout: TimeAmount = .seconds(10)) {
        self.settings = settings
        self.timeout = timeout
    }

    public func send(_ message: MailMessage) async throws {
        let settings = self.settings
        let tls = try settings.security == .none ? nil : Self.tlsContext(settings)
        let (channel, counter) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if settings.security == .implicitTLS, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(settings.host)))
                    }
                    let counter = SMTPInboundByteCounter(eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(counter)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), counter)
                }
            }
        let rendered = message.rendered(
            messageID: "\(UUID().uuidString.lowercased())@\(settings.heloName)", date: Date(),
            boundary: "reverify-\(UUID().uuidString)")
        let deadline = timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await SMTPConversation(channel: channel, counter: counter, settings: settings, tls: tls)
                    .deliver(message, rendered: rendered)
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(deadline.nanoseconds))
                throw SMTPError.timeout
            }
            defer {
                group.cancelAll()
                channel.channel.close(promise: nil)
            }
            try await group.next()
        }
    }

    static func tlsContext(_ settings: SMTPSettings) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = settings.trustRootsFile {
            configuration.trustRoots = .file(file)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// SNI must be a host name, never an IP literal (RFC 6066 3).
    static func sniName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// One SMTP session over an established connection (RFC 5321 3).
struct SMTPConversation {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// Every byte received, to compare with what the conversation consumed (STARTTLS injection check).
    let counter: SMTPInboundByteCounter
    let settings: SMTPSettings
    let tls: NIOSSLContext?

    func deliver(_ message: MailMessage, rendered: String) async throws {
        try await channel.executeThenClose { inbound, outbound in
            var replies = inbound.makeAsyncIterator()
            var consumed = 0

            func reply() async throws -> (code: Int, lines: [String]) {
                var lines: [String] = []
                while true {
                    guard var buffer = try await replies.next() else { throw SMTPError.connectionClosed }
                    consumed += buffer.readableBytes
                    var line = buffer.readString(length: buffer.readableBytes) ?? ""
                    // SMTPLineDecoder keeps the line ending (to count it); RFC 5321 2.3.8 says CRLF.
                    while line.last?.isNewline == true { line.removeLast() }
                    guard line.utf8.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError.malformedReply(line) }
                    lines.append(String(line.dropFirst(4)))
                    // RFC 5321 4.2.1: "250-" continues a multiline reply, "250 " ends it.
                    if line.utf8.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                        return (code, lines)
                    }
                }
            }

            func expect(_ step: String, _ accepted: Set<Int>) async throws -> [String] {
                let (code, lines) = try await reply()
                guard accepted.contains(code) else {
                    throw SMTPError.rejected(step: step, code: code, message: lines.joined(separator: " "))
                }
                return lines
            }

            func send(_ line: String, step: String, expecting accepted: Set<Int>) async throws -> [String] {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                return try await expect(step, accepted)
            }

            _ = try await expect("the connection", [220])
            var capabilities = try await send("EHLO \(settings.heloName)", step: "EHLO", expecting: [250])
            if settings.security == .startTLS {
                guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }), let tls else {
                    throw SMTPError.startTLSUnavailable
                }
                _ = try await send("STARTTLS", step: "STARTTLS", expecting: [220])
                let host = SMTPMailer.sniName(settings.host)
                let counter = self.counter
                let consumedBeforeTLS = consumed
                try await channel.channel.eventLoop.submit {
                    // CVE-2011-0411: anything received beyond the 220 was sent in the clear and must not be read
                    // as if it came over TLS. Checked on the event loop, in the same step that adds TLS, so no
                    // byte can slip in between.
                    guard counter.received == consumedBeforeTLS else { throw SMTPError.dataBeforeTLS }
                    try channel.channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: host), position: .first)
                }.get()
                // RFC 3207 4.2: forget what was learned before TLS and ask again.
                capabilities = try await send("EHLO \(settings.heloName)", step: "EHLO", expecting: [250])
            }
            if let username = settings.username, let password = settings.password {
                let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
                if auth.contains("PLAIN") {
                    let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                    _ = try await send("AUTH PLAIN \(token)", step: "AUTH PLAIN", expecting: [235])
                } else if auth.contains("LOGIN") {
                    _ = try await send("AUTH LOGIN", step: "AUTH LOGIN", expecting: [334])
                    _ = try await send(Data(username.utf8).base64EncodedString(), step: "AUTH LOGIN", expecting: [334])
                    _ = try await send(Data(password.utf8).base64EncodedString(), step: "AUTH LOGIN", expecting: [235])
                } else {
                    throw SMTPError.authenticationUnavailable
                }
            }
            _ = try await send("MAIL FROM:<\(message.from)>", step: "the sender", expecting: [250])
            _ = try await send("RCPT TO:<\(message.to)>", step: "the recipient", expecting: [250, 251])
            _ = try await send("DATA", step: "DATA", expecting: [354])
            try await outbound.write(ByteBuffer(string: SMTPDataEncoding.encode(rendered)))
            _ = try await expect("the message", [250])
            // The message is accepted; a failing QUIT changes nothing.
            _ = try? await send("QUIT", step: "QUIT", expecting: [221])
        }
    }
}
