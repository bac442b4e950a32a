import Foundation

/// The embedded default: each message is written as an `.eml` file (plus a small JSON index entry)
/// under a folder, for development and for operators without a relay. `/dev/mail` lists them.
public struct FileOutboxMailer: Mailer {
    public let directory: URL

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory)
    }

    /// What `/dev/mail` shows for one message.
    public struct Entry: Codable, Sendable {
        public let id: String
        public let to: String
        public let subject: String
        public let text: String
        public let createdAt: Date
    }

    public func send(_ message: MailMessage) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let id = "\(Int64(now.timeIntervalSince1970 * 1000))-\(UUID().uuidString.prefix(8).lowercased())"
        let rendered = message.rendered(messageID: "\(id)@reverify.localhost", date: now, boundary: "reverify-\(id)")
        try Data(rendered.utf8).write(to: directory.appendingPathComponent("\(id).eml"), options: .atomic)
        let entry = Entry(id: id, to: message.to, subject: message.subject, text: message.text, createdAt: now)
        try JSONEncoder().encode(entry).write(to: directory.appendingPathComponent("\(id).json"), options: .atomic)
    }

    /// Newest first.
    public func entries(limit: Int = 50) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted(by: >).prefix(limit).compactMap {
            try? JSONDecoder().decode(Entry.self, from: Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }
}
