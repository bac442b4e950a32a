import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOCore
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// A tiny relying party mounted at `/demo` by `reverify serve --demo`: a "Delete my account" button that
/// demands `max_age=60` and shows the resulting ID token's `auth_time` and `amr`. It talks to Reverify
/// only over HTTP, exactly as a real application would (public client, PKCE S256).
struct DemoRelyingParty {
    let services: Services
    static let clientName = "Reverify demo app"
    static let maxAge: Int64 = 60
    static let stateCookie = "reverify_demo_flow"

    var redirectURI: String { services.configuration.url("/demo/callback") }

    /// Finds or registers the demo's public client.
    func client() async throws -> StoredClient {
        if let existing = try await services.store.clients().first(where: {
            $0.record.name == Self.clientName && $0.redirectURIs == [redirectURI]
        }) {
            return existing
        }
        let client = StoredClient(
            record: ClientRecord(
                id: ClientID(rawValue: IdentifierGenerator.make(prefix: ClientID.prefix)), name: Self.clientName,
                secretHash: nil, tokenEndpointAuthMethod: .none,
                actions: ["account.delete": ActionPolicy(maxAge: Seconds(Self.maxAge))], createdAt: services.time.now()),
            redirectURIs: [redirectURI], postLogoutRedirectURIs: [services.configuration.url("/demo")])
        try await services.store.createClient(client)
        return client
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/demo") { _, _ in
            self.services.pages.page(
                "demo", title: "Acme Notes", values: ["maxAge": Self.maxAge, "issuer": self.services.configuration.issuer])
        }
        router.post("/demo/delete") { _, _ in try await self.start() }
        router.get("/demo/callback") { request, _ in try await self.callback(request) }
    }

    /// Starts an authorization request that demands a verification no older than 60 seconds.
    func start() async throws -> Response {
        let client = try await client()
        let state = OpaqueToken.generate().value
        let nonce = OpaqueToken.generate().value
        let verifier = OpaqueToken.generate().value
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        var response = ProtocolResponse.redirect(
            to: services.configuration.url("/oauth2/authorize"),
            parameters: [
                ("response_type", "code"), ("client_id", client.record.id.rawValue), ("redirect_uri", redirectURI),
                ("scope", "openid email profile"), ("state", state), ("nonce", nonce), ("code_challenge", challenge),
                ("code_challenge_method", "S256"), ("max_age", String(Self.maxAge)), ("action", "account.delete"),
            ])
        response.setCookie(
            Cookie(
                name: Self.stateCookie, value: [state, nonce, verifier].joined(separator: "."), maxAge: 600,
                path: "/demo", secure: services.configuration.isSecure, httpOnly: true, sameSite: .lax))
        return response
    }

    func callback(_ request: Request) async throws -> Response {
        let params = FormParameters.query(of: request)
        let saved = request.cookies[Self.stateCookie]?.value.split(separator: ".").map(String.init) ?? []
        guard saved.count == 3, let state = params["state"], ConstantTime.equals(state, saved[0]) else {
            return result(error: "The response did not match a request this browser started (state mismatch).")
        }
        // RFC 9207: check the issuer before using the response.
        guard params["iss"] == services.configuration.issuer else { return result(error: "Unexpected issuer.") }
        if let error = params["error"] {
            return result(error: "Reverify answered \(error): \(params["error_description"] ?? "")")
        }
        guard let code = params["code"] else { return result(error: "No code in the response.") }
        let client = try await client()
        let tokens: [String: Any]
        do {
            tokens = try await exchange(code: code, verifier: saved[2], clientID: client.record.id.rawValue)
        } catch {
            return result(error: "The code exchange failed: \(error)")
        }
        guard let idToken = tokens["id_token"] as? String,
            let claims = try? await services.keys.current().verify(idToken, as: IDTokenClaims.self),
            claims.aud == client.record.id.rawValue, claims.nonce == saved[1]
        else { return result(error: "The ID token did not validate.") }
        let age = services.time.now() - UnixTime(claims.auth_time)
        guard age.rawValue <= Self.maxAge else {
            return result(error: "auth_time is \(age.rawValue)s old, more than \(Self.maxAge)s: refusing to delete.")
        }
        var response = services.pages.page(
            "demo_result", title: "Account deletion confirmed",
            values: [
                "email": claims.email ?? claims.sub, "authTime": claims.auth_time,
                "authTimeISO": ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(claims.auth_time))),
                "age": age.rawValue, "amr": claims.amr.joined(separator: ", "), "acr": claims.acr, "sid": claims.sid,
                "idToken": idToken,
            ])
        response.setCookie(Cookie(name: Self.stateCookie, value: "", maxAge: 0, path: "/demo", httpOnly: true))
        return response
    }

    private func exchange(code: String, verifier: String, clientID: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: services.configuration.url("/oauth2/token"))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "grant_type", value: "authorization_code"), URLQueryItem(name: "code", value: code),
            URLQueryItem(name: "redirect_uri", value: redirectURI), URLQueryItem(name: "client_id", value: clientID),
            URLQueryItem(name: "code_verifier", value: verifier),
        ]
        request.body = .bytes(ByteBuffer(string: components.percentEncodedQuery ?? ""))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok,
            let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        else { throw DemoError(description: "token endpoint answered \(response.status.code): \(String(buffer: body))") }
        return json
    }

    private func result(error: String) -> Response {
        services.pages.page("demo_result", title: "Not confirmed", values: ["error": error], status: .badRequest)
    }

    struct DemoError: Error, CustomStringConvertible { let description: String }
}
