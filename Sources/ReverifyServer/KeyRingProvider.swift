import ReverifyCore
import ReverifyCrypto
import ReverifyStore

/// Supplies the current ``KeyRing``, reloading from the store shortly after `reverify keys rotate`
/// runs in another process, so rotation needs no restart.
public actor KeyRingProvider {
    private let store: any Store
    private let time: any TimeSource
    private let refreshInterval: Seconds
    private var cached: (ring: KeyRing, loadedAt: UnixTime)?

    public init(store: any Store, time: any TimeSource, refreshInterval: Seconds = 10) {
        self.store = store
        self.time = time
        self.refreshInterval = refreshInterval
    }

    public func current() async throws -> KeyRing {
        let now = time.now()
        if let cached, now - cached.loadedAt < refreshInterval { return cached.ring }
        let ring = try await Self.load(from: store, now: now)
        cached = (ring, now)
        return ring
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

    static func load(from store: any Store, now: UnixTime) async throws -> KeyRing {
        let records = try await store.publishedSigningKeys()
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
