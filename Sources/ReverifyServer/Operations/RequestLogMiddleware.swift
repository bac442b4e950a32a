import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ReverifyCore

extension HTTPField.Name {
    /// The de-facto request correlation header.
    static let xRequestID = HTTPField.Name("X-Request-ID")!
}

/// Gives every request an id (the caller's `X-Request-ID` when well formed, else a new one), echoes it on the
/// response, makes it the `request_id` of every log line and audit row written for the request, and logs one
/// access line: route, status, latency, client and user (issue 15.2).
///
/// The line names the matched route template (`/reauth/magic/{token}`), never the raw URI: paths and
/// queries carry magic-link tokens, codes and state.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ReverifyRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let id = ReverifyCore.RequestID.accepting(request.headers[.xRequestID])
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id.rawValue)
        let facts = RequestLogFacts()
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await ReverifyCore.RequestID.$current.withValue(id) {
                try await RequestLogFacts.$current.withValue(facts) { try await next(request, context) }
            }
        } catch let error as any HTTPResponseError {
            // Answered here rather than by the server, so the error response carries the id too.
            response = try error.response(from: request, context: context)
        } catch where StoreUnavailableResponse.matches(error) {
            response = StoreUnavailableResponse.make(for: request)
            log(id: id, route: context.endpointPath, status: response.status, started: started, facts: facts, error: error)
            response.headers[.xRequestID] = id.rawValue
            return response
        } catch {
            log(id: id, route: context.endpointPath, status: .internalServerError, started: started, facts: facts, error: error)
            throw error
        }
        response.headers[.xRequestID] = id.rawValue
        log(id: id, route: context.endpointPath, status: response.status, started: started, facts: facts, error: nil)
        return response
    }

    private func log(
        id: ReverifyCore.RequestID, route: String?, status: HTTPResponse.Status, started: ContinuousClock.Instant,
        facts: RequestLogFacts, error: (any Error)?
    ) {
        let level: Logger.Level = status.code >= 500 ? .error : .info
        // Below the configured level the line is dropped: do not build it (issue 13, every request).
        guard logger.logLevel <= level else { return }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "request_id": .string(id.rawValue),
            "route": .string(route ?? "NotFound"),
            "status": .stringConvertible(status.code),
            "latency_ms": .stringConvertible((milliseconds * 1000).rounded() / 1000),
        ]
        if let client = facts.clientID { metadata["client_id"] = .string(client.rawValue) }
        if let user = facts.userID { metadata["user_id"] = .string(user.rawValue) }
        // The error's type only: descriptions of decoding errors can quote the request.
        if let error { metadata["error"] = .string(String(describing: type(of: error))) }
        logger.log(level: level, "request", metadata: metadata)
    }
}
