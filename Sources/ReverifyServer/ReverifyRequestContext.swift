import Hummingbird
import NIOCore
import ReverifyCore

/// The per-request context: Hummingbird's core storage plus the peer address, which audit
/// records and risk decisions need.
public struct ReverifyRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Set by the token endpoint when the client authenticated with a `private_key_jwt` assertion: the
    /// attestation a token exchange checks (issue 12 item 2).
    public var clientAttestation: ClientAttestation?
    /// The client's address as a trusted proxy reported it (see ``ClientAddressMiddleware``).
    public var forwardedClientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies of protocol requests are small; refuse anything larger early.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The client IP as text, for audit, sessions, rate limits and risk: the socket's, or what a trusted
    /// proxy forwarded.
    public var ipAddress: String? { forwardedClientAddress ?? remoteAddress?.ipAddress }
}

extension Request {
    /// The `User-Agent`, truncated so a hostile header cannot bloat the audit log.
    var userAgent: String? {
        headers[.userAgent].map { String($0.prefix(512)) }
    }
}
