import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOCore
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// A tiny relying party mounted at `/demo` by `reverify serve --demo`: a "Delete my account" button that
/// demands `max_age=60` and shows the resulting ID token's `auth_time` and `amr`, and a "View billing"
/// button that calls the demo API (`DemoResourceServer`) and follows its RFC 9470 step-up challenge. It
/// talks to Reverify only over HTTP, exactly as a real application would (public client, PKCE S256).
struct DemoRelyingParty {
    let services: Services
    let jar = DemoTokenJar()
    static let clientName = "Reverify demo app"
    static let maxAge: Int64 = 60
    static let stateCookie = "reverify_demo_flow"
    static let jarCookie = "reverify_demo_session"

    /// What an authorization was started for, carried in the flow cookie to the callback.
    enum Purpose: String {
        /// "Delete my account": `max_age=60` and the `account.delete` action.
        case delete
        /// "View billing" with no usable token yet: a plain sign-in, then the API call.
        case billing
        /// "View billing" after the API's RFC 9470 challenge: the challenge's `acr_values` and `max_age`.
        /// Its retry is the last one: a second challenge is shown, never followed (no redirect loops).
        case billingStepUp = "billing-step-up"
    }

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
        router.get("/demo") { request, _ in
            var values: [String: Any] = ["maxAge": Self.maxAge, "issuer": self.services.configuration.issuer]
            if self.services.configuration.devPages {
                values["devNetworkSwitch"] = true
                values["pretendingNetwork"] = request.cookies[ClientAddressMiddleware.demoNetworkCookie]?.value
            }
            return self.services.pages.page("demo", title: "Acme Notes", values: values)
        }
        // Issue 11 item 7, `--dev` only: pretend the browser moved to another network, to see a risk step-up.
        if services.configuration.devPages {
            router.post("/demo/network") { request, _ in
                let pretending = request.cookies[ClientAddressMiddleware.demoNetworkCookie] != nil
                var response = Response(status: .seeOther, headers: [.location: "/demo", .cacheControl: "no-store"])
                response.setCookie(
                    Cookie(
                        name: ClientAddressMiddleware.demoNetworkCookie, value: pretending ? "" : "198.51.100.23",
                        maxAge: pretending ? 0 : 3600, path: "/", secure: self.services.configuration.isSecure, httpOnly: true,
                        sameSite: .lax))
                if !pretending {
                    // A new laptop on a new network: forget this browser's device id too, so the default policy
                    // (new device + new network) steps up.
                    let cookies = BrowserCookies(configuration: self.services.configuration)
                    response.setCookie(
                        Cookie(
                            name: cookies.browserName, value: "", maxAge: 0, path: "/", secure: self.services.configuration.isSecure,
                            httpOnly: true, sameSite: .lax))
                }
                return response
            }
        }
        router.post("/demo/delete") { _, _ in
            try await self.start(.delete, parameters: [("max_age", String(Self.maxAge)), ("action", "account.delete")])
        }
        router.post("/demo/billing") { request, _ in try await self.billing(request) }
        router.get("/demo/callback") { request, _ in try await self.callback(request) }
        DemoResourceServer(services: services).register(on: router)
    }

    /// Starts an authorization request for `purpose` with `parameters` on top of the code flow's own.
    func start(_ purpose: Purpose, parameters extra: [(String, String?)]) async throws -> Response {
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
                ("code_challenge_method", "S256"),
            ] + extra)
        response.setCookie(
            Cookie(
                name: Self.stateCookie, value: [state, nonce, verifier, purpose.rawValue].joined(separator: "."),
                maxAge: 600, path: "/demo", secure: services.configuration.isSecure, httpOnly: true, sameSite: .lax))
        return response
    }

    /// "View billing": call the API with this browser's token; on an RFC 9470 challenge, ask Reverify for
    /// exactly what the challenge names (`acr_values`, `max_age`) and retry after the callback.
    func billing(_ request: Request) async throws -> Response {
        let token = await jar.token(for: request.cookies[Self.jarCookie]?.value, now: services.time.now())
        switch try await callBillingAPI(token: token) {
        case .answer(let billing):
            return billingPage(billing)
        case .challenge(let challenge) where challenge.error == .insufficientUserAuthentication:
            return try await start(.billingStepUp, parameters: Self.authorizeParameters(for: challenge))
        case .challenge:
            // No token, or one that expired or was revoked: sign in first.
            return try await start(.billing, parameters: [])
        case .failure(let message):
            return result(error: message, .billing)
        }
    }

    /// RFC 9470 4: the challenge's `acr_values` and `max_age`, passed on unchanged.
    static func authorizeParameters(for challenge: BearerChallenge) -> [(String, String?)] {
        [
            ("acr_values", challenge.acrValues.isEmpty ? nil : challenge.acrValues.joined(separator: " ")),
            ("max_age", challenge.maxAge.map { String($0.rawValue) }),
        ]
    }

    enum APIAnswer {
        case answer([String: Any])
        case challenge(BearerChallenge)
        case failure(String)
    }

    /// Calls the demo API over HTTP, as an application calls its own resource server.
    func callBillingAPI(token: String?) async throws -> APIAnswer {
        var request = HTTPClientRequest(url: services.configuration.url(DemoResourceServer.billingPath))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        switch response.status {
        case .ok:
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
                return .failure("The billing API answered with something that is not JSON.")
            }
            return .answer(json)
        case .unauthorized:
            guard let header = response.headers.first(name: "WWW-Authenticate"), let challenge = BearerChallenge(header: header)
            else { return .failure("The billing API refused without a Bearer challenge.") }
            return .challenge(challenge)
        default:
            return .failure("The billing API answered \(response.status.code).")
        }
    }

    private func billingPage(_ billing: [String: Any]) -> Response {
        services.pages.page(
            "demo_billing", title: "Billing",
            values: [
                "plan": billing["plan"] as? String ?? "", "card": billing["card"] as? String ?? "",
                "acr": billing["acr"] as? String ?? "", "authTime": billing["auth_time"] as? Int64 ?? 0,
            ])
    }

    func callback(_ request: Request) async throws -> Response {
        let params = FormParameters.query(of: request)
        let saved = request.cookies[Self.stateCookie]?.value.split(separator: ".").map(String.init) ?? []
        guard saved.count == 4, let purpose = Purpose(rawValue: saved[3]), let state = params["state"],
            ConstantTime.equals(state, saved[0])
        else {
            return result(error: "The response did not match a request this browser started (state mismatch).")
        }
        // RFC 9207: check the issuer before using the response.
        guard params["iss"] == services.configuration.issuer else { return result(error: "Unexpected issuer.", purpose) }
        if let error = params["error"] {
            return result(error: "Reverify answered \(error): \(params["error_description"] ?? "")", purpose)
        }
        guard let code = params["code"] else { return result(error: "No code in the response.", purpose) }
        let client = try await client()
        let tokens: [String: Any]
        do {
            tokens = try await exchange(code: code, verifier: saved[2], clientID: client.record.id.rawValue)
        } catch {
            return result(error: "The code exchange failed: \(error)", purpose)
        }
        guard let idToken = tokens["id_token"] as? String,
            let claims = try? await services.keys.current().verify(idToken, as: IDTokenClaims.self),
            claims.aud == client.record.id.rawValue, claims.nonce == saved[1]
        else { return result(error: "The ID token did not validate.", purpose) }
        if purpose != .delete {
            return try await retryBilling(purpose, tokens: tokens)
        }
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

    /// After the callback of a billing flow: keep the access token for this browser and call the API again.
    /// A challenge after a step-up is shown, not followed: the demo never loops.
    private func retryBilling(_ purpose: Purpose, tokens: [String: Any]) async throws -> Response {
        guard let accessToken = tokens["access_token"] as? String else { return result(error: "No access token.", purpose) }
        let now = services.time.now()
        let jarKey = OpaqueToken.generate().value
        let lifetime = (tokens["expires_in"] as? Int).map { Int64($0) } ?? 600
        await jar.store(accessToken, for: jarKey, expiresAt: now + Seconds(lifetime), now: now)
        var response: Response
        var flowContinues = false
        switch try await callBillingAPI(token: accessToken) {
        case .answer(let billing):
            response = billingPage(billing)
        case .challenge(let challenge) where challenge.error == .insufficientUserAuthentication && purpose == .billing:
            response = try await start(.billingStepUp, parameters: Self.authorizeParameters(for: challenge))
            flowContinues = true
        case .challenge(let challenge):
            response = result(
                error: "The billing API still refused the new token: \(challenge.errorDescription ?? challenge.headerValue)",
                purpose)
        case .failure(let message):
            response = result(error: message, purpose)
        }
        if !flowContinues {
            response.setCookie(Cookie(name: Self.stateCookie, value: "", maxAge: 0, path: "/demo", httpOnly: true))
        }
        response.setCookie(
            Cookie(
                name: Self.jarCookie, value: jarKey, maxAge: Int(lifetime), path: "/demo",
                secure: services.configuration.isSecure, httpOnly: true, sameSite: .lax))
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

    private func result(error: String, _ purpose: Purpose = .delete) -> Response {
        switch purpose {
        case .delete:
            services.pages.page("demo_result", title: "Not confirmed", values: ["error": error], status: .badRequest)
        case .billing, .billingStepUp:
            services.pages.page("demo_billing", title: "Billing not shown", values: ["error": error], status: .badRequest)
        }
    }

    struct DemoError: Error, CustomStringConvertible { let description: String }
}
