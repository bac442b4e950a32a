import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the peer address, which audit
/// records and risk decisions need.
public struct ReverifyRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies of protocol requests are small; refuse anything larger early.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The client IP as text, for audit and sessions.
    public var ipAddress: String? { remoteAddress?.ipAddress }
}

extension Request {
    /// The `User-Agent`, truncated so a hostile header cannot bloat the audit log.
    var userAgent: String? {
        headers[.userAgent].map { String($0.prefix(512)) }
    }
}
