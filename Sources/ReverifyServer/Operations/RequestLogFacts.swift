import ReverifyCore
import Synchronization

/// What a handler learned about the request that the access log line should carry (issue 15.2): which
/// client and which user it was for. Only identifiers — never a secret, token, code or cookie.
///
/// Handlers note facts through the task-local ``current`` box the request middleware installs, so no
/// handler signature changes and code outside a request notes nothing.
final class RequestLogFacts: Sendable {
    private struct Values {
        var clientID: ClientID?
        var userID: UserID?
    }

    private let values = Mutex(Values())

    var clientID: ClientID? { values.withLock { $0.clientID } }
    var userID: UserID? { values.withLock { $0.userID } }

    @TaskLocal static var current: RequestLogFacts?

    static func note(client: ClientID) {
        current?.values.withLock { $0.clientID = client }
    }

    static func note(user: UserID) {
        current?.values.withLock { $0.userID = user }
    }
}
