import Foundation
import ReverifyStore

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

    /// Messages carry live codes and links: the folder is owner-only (`0700`, also when it already existed, since
    /// it is ours alone) and so is every file (`0600`); the folder's mode covers the moment before the chmod.
    public func send(_ message: MailMessage) async throws {
        try PrivateFiles.createDirectory(directory)
        PrivateFiles.tighten(directory.path, to: PrivateFiles.directoryMode)
        let now = Date()
        let id = "\(Int64(now.timeIntervalSince1970 * 1000))-\(UUID().uuidString.prefix(8).lowercased())"
        let rendered = message.rendered(messageID: "\(id)@reverify.localhost", date: now, boundary: "reverify-\(id)")
        let entry = Entry(id: id, to: message.to, subject: message.subject, text: message.text, createdAt: now)
        for (name, data) in [("\(id).eml", Data(rendered.utf8)), ("\(id).json", try JSONEncoder().encode(entry))] {
            let file = directory.appendingPathComponent(name)
            try data.write(to: file, options: .atomic)
            PrivateFiles.tighten(file.path)
        }
    }

    /// Newest first.
    public func entries(limit: Int = 50) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted(by: >).prefix(limit).compactMap {
            try? JSONDecoder().decode(Entry.self, from: Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }
}
