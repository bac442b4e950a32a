import NIOCore
import ReverifyCore
import ReverifyCrypto
import ReverifyStore
import Synchronization

/// Supplies the current ``KeyRing``, reloading from the store shortly after `reverify keys rotate`
/// runs in another process, so rotation needs no restart.
///
/// The ring and its JWK Set, already encoded, are kept together and replaced only when the published keys
/// change (issue 13: `/.well-known/jwks.json` re-derived both public keys from their private PEMs, the RSA
/// one included, on every request). A request reads them under a lock, never hopping to an actor; every
/// `refreshInterval` the key list is read again, and the parsed ring kept when it is unchanged.
public final class KeyRingProvider: Sendable {
    private let store: any Store
    private let time: any TimeSource
    private let refreshInterval: Seconds
    private let cached = Mutex<Loaded?>(nil)

    /// A ring as served: the keys, their JWK Set as response bytes, and what they were built from.
    struct Loaded: Sendable {
        let ring: KeyRing
        let jwks: ByteBuffer
        /// The published keys' ids and states: a rotation or removal changes it.
        let fingerprint: [String]
        var loadedAt: UnixTime
    }

    public init(store: any Store, time: any TimeSource, refreshInterval: Seconds = 10) {
        self.store = store
        self.time = time
        self.refreshInterval = refreshInterval
    }

    public func current() async throws -> KeyRing {
        try await loaded().ring
    }

    /// The JWK Set of every published key (RFC 7517 5), encoded once per key change.
    func jwks() async throws -> ByteBuffer {
        try await loaded().jwks
    }

    private func loaded() async throws -> Loaded {
        let now = time.now()
        if let loaded = cached.withLock({ $0 }), now - loaded.loadedAt < refreshInterval { return loaded }
        let records = try await store.publishedSigningKeys()
        let fingerprint = records.map { "\($0.kid) \($0.status)" }
        if let unchanged = cached.withLock({ state -> Loaded? in
            guard var loaded = state, loaded.fingerprint == fingerprint else { return nil }
            loaded.loadedAt = now
            state = loaded
            return loaded
        }) {
            return unchanged
        }
        let ring = try await Self.ring(from: records)
        let loaded = Loaded(
            ring: ring, jwks: ByteBuffer(bytes: try ProtocolResponse.jsonEncoder.encode(ring.jwks())),
            fingerprint: fingerprint, loadedAt: now)
        cached.withLock { $0 = loaded }
        return loaded
    }

    /// Generates a first signing key for each algorithm that has none (first start).
    @discardableResult
    public static func ensureSigningKey(store: any Store, now: UnixTime) async throws -> [SigningKeyRecord] {
        let existing = try await store.publishedSigningKeys()
        var added: [SigningKeyRecord] = []
        for algorithm in SigningAlgorithm.allCases
        where !existing.contains(where: { $0.status == .active && $0.algorithm == algorithm.rawValue }) {
            added.append(try await rotate(store: store, now: now, algorithm: algorithm))
        }
        return added
    }

    /// Adds a new active key; the previous one of that algorithm keeps being published.
    @discardableResult
    public static func rotate(store: any Store, now: UnixTime, algorithm: SigningAlgorithm = .es256) async throws
        -> SigningKeyRecord
    {
        let material = try SigningKeyMaterial.generate(algorithm)
        let record = SigningKeyRecord(
            kid: material.kid, algorithm: material.algorithm.rawValue, privateKeyPem: material.privateKeyPEM,
            createdAt: now)
        try await store.addActiveSigningKey(record)
        return record
    }

    static func ring(from records: [SigningKeyRecord]) async throws -> KeyRing {
        let materials = records.compactMap { record -> SigningKeyMaterial? in
            guard let algorithm = SigningAlgorithm(rawValue: record.algorithm) else { return nil }
            return SigningKeyMaterial(kid: record.kid, algorithm: algorithm, privateKeyPEM: record.privateKeyPem)
        }
        // Newest active key per algorithm; ES256 first, as the default.
        let active = SigningAlgorithm.allCases.compactMap { algorithm in
            records.first { $0.status == .active && $0.algorithm == algorithm.rawValue }
                .flatMap { record in materials.first { $0.kid == record.kid } }
        }
        guard active.first?.algorithm == .es256 else {
            throw StoreError.notFound("active ES256 signing key (run `reverify keys rotate`)")
        }
        return try await KeyRing(activeKeys: active, published: materials)
    }
}
