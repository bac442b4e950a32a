import AsyncHTTPClient
import Foundation
import NIOCore
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Fetches the JWK Sets that `private_key_jwt` clients publish at their `jwks_uri` (OIDC Registration 2),
/// cached as the response's `Cache-Control` says, like the upstream providers' keys.
actor ClientKeyFetcher {
    private struct Cached: Sendable {
        let keys: ClientKeys
        let fetchedAt: UnixTime
        let expiresAt: UnixTime
    }

    /// Why a client's keys could not be fetched.
    struct Unavailable: Error {}

    private let time: any TimeSource
    private let http: HTTPClient
    private var cache: [String: Cached] = [:]
    /// An unknown `kid` refetches the set (key rotation), but at most this often per URI, so forged
    /// assertions cannot make us hammer the client.
    let minimumRefetchInterval: Seconds = 10
    let defaultLifetime: Seconds = .minutes(5)
    let maximumLifetime: Seconds = .days(1)
    let timeout: TimeAmount = .seconds(10)

    init(time: any TimeSource, http: HTTPClient = .shared) {
        self.time = time
        self.http = http
    }

    /// The keys published at `uri`, refetched once when they do not include `kid`.
    func keys(uri: String, kid: String?) async throws -> ClientKeys {
        let now = time.now()
        if let cached = cache[uri], now < cached.expiresAt {
            let mayRefetch = now - cached.fetchedAt >= minimumRefetchInterval
            if cached.keys.publishes(kid: kid) || !mayRefetch { return cached.keys }
        }
        let (text, lifetime) = try await get(uri)
        // The same checks as a registered --jwks-file: public EC, RSA or OKP keys only.
        guard await ClientKeySet.problem(with: text) == nil, let keys = await ClientKeys.load(jwksJSON: text) else {
            throw Unavailable()
        }
        cache[uri] = Cached(keys: keys, fetchedAt: now, expiresAt: now + lifetime)
        return keys
    }

    private func get(_ uri: String) async throws -> (String, Seconds) {
        var request = HTTPClientRequest(url: uri)
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 * 1024)
            guard response.status == .ok else { throw Unavailable() }
            let lifetime = UpstreamOIDCClient.cacheLifetime(
                response.headers["Cache-Control"].joined(separator: ","), default: defaultLifetime, maximum: maximumLifetime)
            return (String(buffer: body), lifetime)
        } catch {
            throw Unavailable()
        }
    }
}

extension ClientKeyFetcher {
    /// Why a client's keys could not be had.
    enum Missing: Error {
        /// The client registered neither a JWK Set nor a `jwks_uri`.
        case unregistered
        /// Its `jwks_uri` could not be fetched or held no usable key.
        case unavailable
    }

    /// The keys a client registered (OIDC Registration 2): the inline JWK Set when there is one, else the set
    /// published at its `jwks_uri`, refetched once when it lacks `kid`. One rule for `private_key_jwt`
    /// assertions and signed request objects.
    func keys(of client: ClientRecord, kid: String?) async -> Result<ClientKeys, Missing> {
        if let jwks = client.jwks, let registered = await ClientKeys.load(jwksJSON: jwks) { return .success(registered) }
        guard let uri = client.jwksUri else { return .failure(.unregistered) }
        do {
            return .success(try await keys(uri: uri, kid: kid))
        } catch {
            return .failure(.unavailable)
        }
    }
}
