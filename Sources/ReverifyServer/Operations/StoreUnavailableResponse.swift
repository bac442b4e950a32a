import Foundation
import HTTPTypes
import Hummingbird
import ReverifyStore

/// What a client gets when the shared database cannot be reached or a connection dropped mid-call (issue 14):
/// `503` with `Retry-After`, never a half-done write (the store rolled the transaction back). Protocol clients get
/// RFC 6749's `temporarily_unavailable` (4.1.2.1); browsers a readable page.
enum StoreUnavailableResponse {
    static let retryAfterSeconds = 1

    static func make(for request: Request) -> Response {
        var headers: HTTPFields = [.retryAfter: String(retryAfterSeconds), .cacheControl: "no-store"]
        let wantsPage = request.headers[.accept]?.contains("text/html") ?? false
        let body: String
        if wantsPage {
            headers[.contentType] = "text/html; charset=utf-8"
            body = """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Try again in a moment</title></head>\
                <body><h1>Try again in a moment</h1><p>Reverify cannot reach its database just now. Nothing was changed; \
                reload the page to try again.</p></body></html>
                """
        } else {
            headers[.contentType] = "application/json"
            body = #"{"error":"temporarily_unavailable","error_description":"the database is unavailable; retry shortly"}"#
        }
        return Response(status: .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func matches(_ error: any Error) -> Bool {
        if case .unavailable = error as? StoreError { return true }
        return false
    }
}
