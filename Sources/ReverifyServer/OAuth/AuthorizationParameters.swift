import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Where an authorization request's parameters really come from: the URL, a pushed request (RFC 9126)
/// or a signed request object (RFC 9101). Resolved before any other rule, so every later rule sees one
/// set of parameters whatever the transport.
struct AuthorizationParameters {
    let services: Services

    /// The `request_uri` prefix Reverify hands out (RFC 9126 2.2).
    static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    /// The effective parameters, or the error that prevents using them.
    func resolve(_ params: RequestParameters, client: StoredClient) async throws(OAuthError) -> RequestParameters {
        var effective = params
        if let requestURI = params["request_uri"] {
            guard params.isUsable("request_uri"), requestURI.hasPrefix(Self.requestURIPrefix) else {
                throw .invalidRequestURI("request_uri must be one issued by the pushed authorization request endpoint")
            }
            let pushed: PushedRequestRecord?
            do {
                pushed = try await services.store.consumePushedRequest(
                    uriHash: TokenHash(of: requestURI).hex, client: client.record.id, at: services.time.now())
            } catch {
                throw .serverError("could not read the pushed request")
            }
            guard let pushed else { throw .invalidRequestURI("request_uri is unknown, expired or already used") }
            // RFC 9126 4: the pushed parameters are the request; the URL only names the client.
            return pushed.requestParameters
        }
        if client.record.requirePar {
            throw .invalidRequest("this client must push its authorization requests (RFC 9126) and send request_uri")
        }
        if let object = params["request"] {
            guard params.isUsable("request") else { throw .invalidRequestObject("request is repeated or malformed") }
            let inside = try await RequestObjectVerifier(services: services).parameters(of: object, client: client)
            effective = params.merging(requestObject: inside, objectOnly: client.record.requireSignedRequestObject)
        } else if client.record.requireSignedRequestObject {
            throw .invalidRequest("this client must send its parameters in a signed request object")
        }
        return effective
    }
}
