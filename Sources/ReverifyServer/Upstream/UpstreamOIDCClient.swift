import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import ReverifyCore
import ReverifyStore

/// What an upstream provider publishes at `/.well-known/openid-configuration` that we use (OIDC Discovery 3).
struct UpstreamMetadata: Sendable, Decodable {
    let issuer: String
    let authorization_endpoint: String
    let token_endpoint: String
    let jwks_uri: String
    let token_endpoint_auth_methods_supported: [String]?
    let authorization_response_iss_parameter_supported: Bool?
    let code_challenge_methods_supported: [String]?

    /// OIDC Core 9: `client_secret_basic` is the default when a provider lists nothing.
    var usesBasicAuthentication: Bool {
        guard let methods = token_endpoint_auth_methods_supported else { return true }
        return methods.contains("client_secret_basic") || !methods.contains("client_secret_post")
    }
}

/// The ID token claims we read from an upstream. Checks live in ``UpstreamIDTokenRules``; jwt-kit only
/// verifies the signature here, so this payload's own `verify` does nothing.
struct UpstreamIDTokenPayload: JWTPayload {
    let iss: String?
    let sub: String?
    let aud: AudienceClaim?
    let azp: String?
    let exp: Double?
    let iat: Double?
    let nonce: String?
    let auth_time: Double?
    let amr: [String]?
    let email: String?
    let email_verified: FlexibleBool?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    var claims: UpstreamIDTokenClaims {
        var claims = UpstreamIDTokenClaims(
            issuer: iss ?? "", subject: sub ?? "", audience: aud?.value ?? [], authorizedParty: azp,
            expiresAt: nil, issuedAt: nil, nonce: nonce, authTime: nil, amr: amr ?? [], email: email,
            emailVerified: email_verified?.value)
        // Never Int64(Double): a signed 2^63 would trap (issue 9 item 13).
        claims.readTimes(exp: exp, iat: iat, authTime: auth_time)
        return claims
    }
}

/// Some providers send `email_verified` as the string "true" (notably older Cognito/Okta set-ups).
struct FlexibleBool: Codable, Sendable {
    let value: Bool
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bool = try? container.decode(Bool.self) {
            value = bool
        } else {
            value = (try? container.decode(String.self)) == "true"
        }
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// Why talking to an upstream provider failed.
struct UpstreamError: Error, CustomStringConvertible {
    let description: String
    /// A stable reason for the audit log.
    let reason: String
}

/// Talks to upstream OpenID Connect providers over AsyncHTTPClient: discovery and JWKS (cached as their
/// `Cache-Control` says), the code exchange, and ID token signature verification with jwt-kit.
actor UpstreamOIDCClient {
    private struct Cached<Value: Sendable>: Sendable {
        let value: Value
        let fetchedAt: UnixTime
        let expiresAt: UnixTime
    }

    private let time: any TimeSource
    private let http: HTTPClient
    private var metadataCache: [String: Cached<UpstreamMetadata>] = [:]
    /// The keys of each JWKS, with their kids: jwt-kit falls back to a default key for an unknown kid, so
    /// we track them ourselves to know when to refetch.
    private var keyCache: [String: Cached<PublishedKeys>] = [:]

    private struct PublishedKeys: Sendable {
        let collection: JWTKeyCollection
        let kids: Set<String>
    }
    /// Unknown `kid`s refetch the JWKS, but at most this often per provider, so forged tokens
    /// cannot make us hammer the provider.
    let minimumRefetchInterval: Seconds = 10
    /// Used when a response carries no `max-age`; capped so a rotated key is picked up eventually.
    let defaultLifetime: Seconds = .minutes(5)
    let maximumLifetime: Seconds = .days(1)
    let timeout: TimeAmount = .seconds(10)

    init(time: any TimeSource, http: HTTPClient = .shared) {
        self.time = time
        self.http = http
    }

    // MARK: Discovery

    func metadata(issuer: String) async throws -> UpstreamMetadata {
        let now = time.now()
        if let cached = metadataCache[issuer], now < cached.expiresAt { return cached.value }
        let (body, lifetime) = try await get(issuer + "/.well-known/openid-configuration", what: "discovery")
        guard let metadata = try? JSONDecoder().decode(UpstreamMetadata.self, from: body) else {
            throw UpstreamError(description: "the provider's discovery document is not valid", reason: "upstream_discovery_invalid")
        }
        // OIDC Discovery 4.3: the issuer in the document MUST be identical to the one we asked.
        guard metadata.issuer == issuer else {
            throw UpstreamError(
                description: "the provider's discovery document names another issuer", reason: "upstream_discovery_issuer")
        }
        metadataCache[issuer] = Cached(value: metadata, fetchedAt: now, expiresAt: now + lifetime)
        return metadata
    }

    /// The cached metadata only, without any network call (for rendering pages).
    func cachedMetadata(issuer: String) -> UpstreamMetadata? { metadataCache[issuer]?.value }

    // MARK: Keys

    private func keys(jwksURI: String, forceRefresh: Bool) async throws -> PublishedKeys {
        let now = time.now()
        if let cached = keyCache[jwksURI] {
            let fresh = now < cached.expiresAt
            let mayRefetch = now - cached.fetchedAt >= minimumRefetchInterval
            if fresh && !forceRefresh { return cached.value }
            if forceRefresh && !mayRefetch { return cached.value }
        }
        let (body, lifetime) = try await get(jwksURI, what: "JWKS")
        let collection = JWTKeyCollection()
        var kids = Set<String>()
        do {
            let jwks = try JSONDecoder().decode(JWKS.self, from: body)
            for jwk in jwks.keys {
                // Keys jwt-kit cannot verify with (unknown types, no kid) are skipped, not fatal.
                if (try? await collection.add(jwk: jwk)) != nil, let kid = jwk.keyIdentifier { kids.insert(kid.string) }
            }
        } catch {
            throw UpstreamError(description: "the provider's JWKS is not valid", reason: "upstream_jwks_invalid")
        }
        let keys = PublishedKeys(collection: collection, kids: kids)
        keyCache[jwksURI] = Cached(value: keys, fetchedAt: now, expiresAt: now + lifetime)
        return keys
    }

    /// Verifies a JWT's signature only against the keys published at `jwksURI` (cached like a provider's
    /// keys; refetched once, within the throttle, when none verifies: the sender may have rotated).
    func verifySignature(_ token: String, jwksURI: String) async throws {
        for forceRefresh in [false, true] {
            let keys = try await keys(jwksURI: jwksURI, forceRefresh: forceRefresh)
            if (try? await keys.collection.verify(token, as: SignatureOnly.self, iteratingKeys: true)) != nil { return }
        }
        throw UpstreamError(description: "no published key verifies the signature", reason: "invalid_key")
    }

    /// Verifies the ID token's signature against the provider's JWKS, refetching once on an unknown `kid`
    /// (key rotation, OIDC Core 10.1.1), and returns its claims for ``UpstreamIDTokenRules``.
    func verifiedClaims(idToken: String, metadata: UpstreamMetadata) async throws -> UpstreamIDTokenClaims {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse([UInt8](idToken.utf8), as: UpstreamIDTokenPayload.self).header
        } catch {
            throw UpstreamError(description: "the provider's ID token is malformed", reason: "upstream_token_malformed")
        }
        var keys = try await keys(jwksURI: metadata.jwks_uri, forceRefresh: false)
        if let kid = header.kid, !keys.kids.contains(kid) {
            keys = try await self.keys(jwksURI: metadata.jwks_uri, forceRefresh: true)
        }
        if let kid = header.kid, !keys.kids.contains(kid) {
            // Never fall back to another key for a kid the provider does not publish.
            throw UpstreamError(
                description: "the provider's ID token is signed with a key it does not publish", reason: "upstream_unknown_kid")
        }
        do {
            // With no kid, jwt-kit tries each published key.
            let payload = try await keys.collection.verify(
                idToken, as: UpstreamIDTokenPayload.self, iteratingKeys: header.kid == nil)
            return payload.claims
        } catch {
            throw UpstreamError(
                description: "the provider's ID token signature does not verify with its published keys",
                reason: "upstream_bad_signature")
        }
    }

    // MARK: Token endpoint

    /// Exchanges an authorization code (RFC 6749 4.1.3) with PKCE (RFC 7636 4.5) and returns the ID token.
    func exchange(
        code: String, codeVerifier: String, redirectURI: String, provider: UpstreamProviderRecord, metadata: UpstreamMetadata
    ) async throws -> String {
        var request = HTTPClientRequest(url: metadata.token_endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var fields = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", codeVerifier),
        ]
        if metadata.usesBasicAuthentication {
            // RFC 6749 2.3.1: client id and secret are form-encoded before being joined for Basic.
            let credentials = Self.formEncode(provider.clientId) + ":" + Self.formEncode(provider.clientSecret)
            request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        } else {
            fields += [("client_id", provider.clientId), ("client_secret", provider.clientSecret)]
        }
        request.body = .bytes(ByteBuffer(string: fields.map { "\($0)=\(Self.formEncode($1))" }.joined(separator: "&")))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw UpstreamError(description: "the provider's token endpoint could not be reached", reason: "upstream_unreachable")
        }
        guard response.status == .ok,
            let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        else {
            throw UpstreamError(
                description: "the provider refused the code exchange (HTTP \(response.status.code))",
                reason: "upstream_token_error")
        }
        guard let idToken = json["id_token"] as? String else {
            throw UpstreamError(description: "the provider returned no ID token", reason: "upstream_no_id_token")
        }
        return idToken
    }

    // MARK: HTTP

    private func get(_ url: String, what: String) async throws -> (Data, Seconds) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                throw UpstreamError(
                    description: "the provider's \(what) answered HTTP \(response.status.code)", reason: "upstream_unreachable")
            }
            let lifetime = Self.cacheLifetime(
                response.headers["Cache-Control"].joined(separator: ","), default: defaultLifetime, maximum: maximumLifetime)
            return (Data(buffer: body), lifetime)
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(description: "the provider's \(what) could not be fetched", reason: "upstream_unreachable")
        }
    }

    /// RFC 9111 5.2.2: `no-store`/`no-cache` mean "ask again", `max-age` is the freshness lifetime.
    static func cacheLifetime(_ cacheControl: String, default fallback: Seconds, maximum: Seconds) -> Seconds {
        var lifetime: Seconds?
        for directive in cacheControl.lowercased().split(separator: ",") {
            let parts = directive.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            switch parts.first {
            case "no-store", "no-cache": return 0
            case "max-age" where parts.count == 2:
                if let seconds = Int64(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))), seconds >= 0 {
                    lifetime = Seconds(seconds)
                }
            default: continue
            }
        }
        return min(lifetime ?? fallback, maximum)
    }

    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// A JWT payload read for its signature only; the caller reads the claims itself.
struct SignatureOnly: JWTPayload {
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
