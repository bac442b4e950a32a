import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line (`serve --log-format json`, issue 15.2):
/// `time` (RFC 3339, UTC, milliseconds), `level`, `message`, `label`, then the metadata as top-level fields
/// (`request_id`, `route`, `status`, `latency_ms`, `client_id`, `user_id`, …). Numbers stay numbers;
/// everything else is a string, list or object. A line never spans two lines: JSON escapes newlines.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    /// Where lines go; serialised so lines from many threads never interleave.
    public final class Sink: Sendable {
        private let lock = Mutex(())
        private let write: @Sendable (String) -> Void

        public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

        /// Standard output, flushed per line so a supervisor sees each line at once.
        public static let standardOutput = Sink { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        func emit(_ line: String) { lock.withLock { _ in write(line) } }
    }

    public init(label: String, sink: Sink = .standardOutput) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let reserved: Set = ["time", "level", "message", "label"]

    public func log(event: LogEvent) {
        var fields: [String: Any] = [:]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        for (key, value) in merged {
            // The fixed fields cannot be overwritten by metadata.
            fields[Self.reserved.contains(key) ? "meta_" + key : key] = Self.json(value)
        }
        fields["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        fields["level"] = event.level.rawValue
        fields["message"] = "\(event.message)"
        fields["label"] = label
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]),
            let line = String(data: data, encoding: .utf8)
        else { return }
        sink.emit(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: number
            case let number as Double: number
            case let number as UInt: number
            default: convertible.description
            }
        case .array(let values): values.map(json)
        case .dictionary(let values): values.mapValues(json)
        }
    }
}
