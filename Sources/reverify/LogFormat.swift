import ArgumentParser
import Logging
import ReverifyServer

/// `serve --log-format`: swift-log's text lines (the default) or one JSON object per line (issue 15.2).
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json

    /// Installs the handler for every logger made afterwards; call once, before the first `Logger`.
    func bootstrap() {
        switch self {
        case .text: break  // swift-log's default StreamLogHandler on standard output
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
    }
}
