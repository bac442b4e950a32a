import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyServer
import Testing

/// OIDC Core 10.1.1: an upstream ID token signed with a `kid` we have not seen refetches the provider's JWKS
/// (key rotation), but at most once per `minimumRefetchInterval`, so forged kids cannot make us hammer it.
/// A real JWKS endpoint on 127.0.0.1 and an injected clock: no waiting for the interval to pass.
@Suite struct UpstreamKeyRotationTests {
    /// The provider's JWKS endpoint: serves the keys it is told to publish and counts its requests.
    actor JWKSHost {
        private var body: Data
        private(set) var requests = 0

        init(_ keys: [SigningKeyMaterial]) async throws { body = try await Self.encode(keys) }

        func publish(_ keys: [SigningKeyMaterial]) async throws { body = try await Self.encode(keys) }

        func serve() -> Response {
            requests += 1
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(data: body)))
        }

        static func encode(_ keys: [SigningKeyMaterial]) async throws -> Data {
            try JSONEncoder().encode(try await KeyRing(activeKeys: [keys[0]], published: keys).jwks())
        }
    }

    struct IDToken: JWTPayload {
        let iss: String
        var sub = "upstream-user"
        var aud = "reverify"
        let exp: Int64
        let iat: Int64
        let auth_time: Int64
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Runs `body` with a JWKS endpoint publishing `keys`, and an upstream client on `clock`.
    func withProvider(
        publishing keys: [SigningKeyMaterial], clock: TestClock,
        _ body: @Sendable (JWKSHost, UpstreamOIDCClient, UpstreamMetadata) async throws -> Void
    ) async throws {
        let host = try await JWKSHost(keys)
        let router = Router()
        router.get("/jwks") { _, _ in await host.serve() }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let origin = "http://127.0.0.1:\(try #require(client.port))"
            let metadata = try JSONDecoder().decode(
                UpstreamMetadata.self,
                from: Data(
                    #"{"issuer":"\#(origin)","authorization_endpoint":"\#(origin)/authorize","token_endpoint":"\#(origin)/token","jwks_uri":"\#(origin)/jwks"}"#
                        .utf8))
            try await body(host, UpstreamOIDCClient(time: clock), metadata)
        }
    }

    func token(signedBy key: SigningKeyMaterial, clock: TestClock, issuer: String) async throws -> String {
        let now = clock.now().rawValue
        return try await KeyRing(active: key, published: [key]).sign(
            IDToken(iss: issuer, exp: now + 300, iat: now, auth_time: now))
    }

    /// The audit reason a verification failed with, or `nil` if it succeeded.
    func failure(_ verify: () async throws -> UpstreamIDTokenClaims) async -> String? {
        do {
            _ = try await verify()
            return nil
        } catch let error as UpstreamError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test func unknownKidRefetchesTheJWKSOnceTheIntervalHasPassed() async throws {
        let clock = TestClock()
        let old = try SigningKeyMaterial.generate(.es256)
        let rotated = try SigningKeyMaterial.generate(.es256)
        try await withProvider(publishing: [old], clock: clock) { host, upstream, metadata in
            _ = try await upstream.verifiedClaims(
                idToken: try await token(signedBy: old, clock: clock, issuer: metadata.issuer), metadata: metadata)
            try await host.publish([old, rotated])
            clock.advance(await upstream.minimumRefetchInterval)

            let claims = try await upstream.verifiedClaims(
                idToken: try await token(signedBy: rotated, clock: clock, issuer: metadata.issuer), metadata: metadata)

            #expect(claims.subject == "upstream-user")
            #expect(await host.requests == 2)
        }
    }

    @Test func unknownKidWithinTheIntervalDoesNotRefetch() async throws {
        let clock = TestClock()
        let old = try SigningKeyMaterial.generate(.es256)
        let rotated = try SigningKeyMaterial.generate(.es256)
        try await withProvider(publishing: [old], clock: clock) { host, upstream, metadata in
            _ = try await upstream.verifiedClaims(
                idToken: try await token(signedBy: old, clock: clock, issuer: metadata.issuer), metadata: metadata)
            try await host.publish([old, rotated])
            clock.advance(Seconds(await upstream.minimumRefetchInterval.rawValue - 1))
            let newToken = try await token(signedBy: rotated, clock: clock, issuer: metadata.issuer)

            let reason = await failure { try await upstream.verifiedClaims(idToken: newToken, metadata: metadata) }

            #expect(reason == "upstream_unknown_kid")
            #expect(await host.requests == 1)
        }
    }
}
