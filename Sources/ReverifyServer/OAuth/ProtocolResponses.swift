import Foundation
import Hummingbird
import ReverifyCore

/// Response builders for the protocol endpoints: JSON bodies, OAuth errors, redirects.
enum ProtocolResponse {
    static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON body; token-bearing responses must not be cached (RFC 6749 5.1).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, cacheable: Bool = false) throws
        -> Response
    {
        json(bytes: ByteBuffer(bytes: try jsonEncoder.encode(value)), status: status, cacheable: cacheable)
    }

    /// A JSON body already encoded (discovery and JWKS serve precomputed bytes).
    static func json(bytes: ByteBuffer, status: HTTPResponse.Status = .ok, cacheable: Bool = false) -> Response {
        Response(
            status: status, headers: cacheable ? cacheableJSONHeaders : uncacheableJSONHeaders, body: .init(byteBuffer: bytes))
    }

    private static let cacheableJSONHeaders: HTTPFields = [
        .contentType: "application/json;charset=utf-8", .cacheControl: "public, max-age=60",
    ]
    private static let uncacheableJSONHeaders: HTTPFields = [
        .contentType: "application/json;charset=utf-8", .cacheControl: "no-store", .pragma: "no-cache",
    ]

    /// RFC 6749 5.2 error body. `invalid_client` via Basic gets a `WWW-Authenticate` challenge.
    static func error(_ error: OAuthError, challenge: String? = nil) -> Response {
        /// RFC 9470 3: `acr_values` and `max_age` tell the client what would satisfy the request.
        struct Body: Encodable {
            let error: String
            let error_description: String
            let acr_values: String?
            let max_age: Int64?
        }
        let body = Body(
            error: error.code.rawValue, error_description: error.description, acr_values: error.acrValues,
            max_age: error.maxAge?.rawValue)
        var response = (try? json(body, status: .init(code: error.httpStatus)))
            ?? Response(status: .internalServerError)
        if let challenge { response.headers[.wwwAuthenticate] = challenge }
        return response
    }

    /// A 302 to `base` with parameters appended to its query (RFC 6749 4.1.2), keeping any query it had.
    static func redirect(to base: String, parameters: [(String, String?)]) -> Response {
        var components = URLComponents(string: base) ?? URLComponents()
        var items = components.queryItems ?? []
        for (name, value) in parameters { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        components.queryItems = items
        // URLComponents leaves '+' alone in queries, but form decoders read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return Response(
            status: .found,
            headers: [.location: components.string ?? base, .cacheControl: "no-store"])
    }
}

/// Parsing of `application/x-www-form-urlencoded` query strings and bodies into ordered pairs,
/// keeping duplicates visible so the protocol rules can refuse them (RFC 6749 3.1, 3.2).
enum FormParameters {
    /// Pairs in order; a value that is not valid percent-encoding is `nil`, so the rules reject it
    /// rather than guess.
    static func pairs(_ encoded: String) -> [(String, String?)] {
        // Split on the bytes `&` and `=`, as the WHATWG URL Standard's form parser does (5.1); splitting by
        // Character was 4% of an introspection (issue 13 profile), and would not split before a combining mark.
        encoded.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { field in
            let parts = field.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = Substring(parts[0])
            return (decode(name) ?? String(name), parts.count > 1 ? decode(Substring(parts[1])) : "")
        }
    }

    /// `+` is a space in form encoding (HTML 4.01 17.13.4.1); anything else is percent-decoded.
    private static func decode(_ text: Substring) -> String? {
        FormURLDecoding.decode(text)
    }

    static func query(of request: Request) -> RequestParameters {
        RequestParameters(pairs(request.uri.query ?? ""))
    }

    static func body(of request: Request, context: ReverifyRequestContext) async throws -> RequestParameters {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return RequestParameters(pairs(String(buffer: buffer)))
    }

    /// The body of a back-channel protocol POST (the token endpoint, CIBA `bc-authorize`): form-encoded, with no
    /// parameter repeated or badly encoded. RFC 6749 3.2: parameters sent without a value are treated as omitted;
    /// repeated ones are an error.
    static func protocolBody(of request: Request, context: ReverifyRequestContext) async throws
        -> Result<RequestParameters, OAuthError>
    {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return .failure(.invalidRequest("the body must be application/x-www-form-urlencoded"))
        }
        let form = try await body(of: request, context: context)
        if let repeated = form.duplicated.sorted().first {
            return .failure(.invalidRequest("parameter '\(repeated.prefix(40))' is repeated"))
        }
        if let malformed = form.malformed.sorted().first {
            return .failure(.invalidRequest("parameter '\(malformed.prefix(40))' is too long or badly encoded"))
        }
        return .success(form)
    }
}
