import Foundation
@testable import ReverifyServer
import Testing

@Suite struct MailTests {
    @Test func dataPhaseDoublesLeadingDotsAndEndsWithCRLFDotCRLF() {
        let encoded = SMTPDataEncoding.encode("Hello\n.hidden\n..two\nend\n")
        #expect(encoded == "Hello\r\n..hidden\r\n...two\r\nend\r\n.\r\n")
    }

    @Test func dataPhaseNormalisesBareLineEndings() {
        #expect(SMTPDataEncoding.encode("a\rb\r\nc") == "a\r\nb\r\nc\r\n.\r\n")
    }

    @Test func aLoneDotLineCannotEndTheMessageEarly() {
        let encoded = SMTPDataEncoding.encode("before\n.\nafter")
        #expect(encoded.components(separatedBy: "\r\n.\r\n").count == 2)
        #expect(encoded.hasSuffix("after\r\n.\r\n"))
    }

    let message = MailMessage(
        from: "no-reply@example.com", fromName: "Réverify", to: "alice@example.com",
        subject: "Code\r\nBcc: evil@example.com", text: "Your code is 123456 — thanks", html: "<p>123456</p>")

    @Test func headersCannotBeInjected() {
        let rendered = message.rendered(messageID: "m@x", date: Date(timeIntervalSince1970: 0), boundary: "b")
        let headers = rendered.components(separatedBy: "\r\n\r\n")[0]
        #expect(!headers.contains("\r\nBcc:"))
        #expect(headers.contains("Subject: Code  Bcc: evil@example.com"))
    }

    @Test func nonASCIIHeaderTextIsAnEncodedWord() {
        let rendered = message.rendered(messageID: "m@x", date: Date(timeIntervalSince1970: 0), boundary: "b")
        #expect(rendered.contains("From: =?utf-8?B?\(Data("Réverify".utf8).base64EncodedString())?= <no-reply@example.com>"))
    }

    @Test func bodyIsMultipartAlternativeWithBase64UTF8Parts() throws {
        let rendered = message.rendered(messageID: "m@x", date: Date(timeIntervalSince1970: 0), boundary: "b")
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"b\""))
        #expect(rendered.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        let textPart = try #require(rendered.components(separatedBy: "--b\r\n").dropFirst().first)
        let body = textPart.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
        #expect(String(decoding: Data(base64Encoded: body) ?? Data(), as: UTF8.self) == "Your code is 123456 — thanks")
        #expect(rendered.hasSuffix("--b--\r\n"))
    }

    @Test func outboxWritesAnEMLAndListsItNewestFirst() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outbox = FileOutboxMailer(directory: dir)
        try await outbox.send(message)
        let entries = outbox.entries()
        #expect(entries.count == 1)
        #expect(entries.first?.to == "alice@example.com")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.contains { $0.hasSuffix(".eml") })
    }

    @Test func unreachableSMTPServerFailsInsteadOfHanging() async {
        let mailer = SMTPMailer(settings: SMTPSettings(host: "127.0.0.1", port: 1, security: .none), timeout: .seconds(2))
        await #expect(throws: (any Error).self) { try await mailer.send(message) }
    }

    @Test func randomCodesAreSixDigits() {
        for _ in 0..<200 {
            let code = EmailVerificationRoutes.randomCode()
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        }
    }

    @Test func maskedEmailKeepsFirstLetterAndDomain() {
        #expect(EmailVerificationRoutes.masked("alice@example.com") == "a•••@example.com")
    }
}
