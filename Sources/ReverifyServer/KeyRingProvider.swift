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

    /// Generates the first signing key if the database has none (first start).
    @discardableResult
    public static func ensureSigningKey(store: any Store, now: UnixTime) async throws -> SigningKeyRecord? {
        let existing = try await store.publishedSigningKeys()
        guard !existing.contains(where: { $0.status == .active }) else { return nil }
        return try await rotate(store: store, now: now)
    }

    /// Adds a new active key; the previous one keeps being published.
    public static func rotate(store: any Store, now: UnixTime) async throws -> SigningKeyRecord {
        let material = try SigningKeyMaterial.generate(.es256)
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
        guard let activeRecord = records.first(where: { $0.status == .active }),
            let active = materials.first(where: { $0.kid == activeRecord.kid })
        else {
            throw StoreError.notFound("active signing key (run `reverify keys rotate`)")
        }
        return try await KeyRing(active: active, published: materials)
    }
}
