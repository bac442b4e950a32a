import GRDB
import ReverifyCore

/// Secrets at rest (issue 15.3): the columns holding secrets the server must read back are sealed by the
/// store's ``SecretSealing`` on the way in and opened on the way out, with `table:row id` as associated data.
/// Without a sealer they are stored as before, and sealed rows refuse to open.
/// A store that seals secrets at rest with an optional ``SecretSealing`` (SQLite and PostgreSQL alike).
protocol SealingStore: Sendable {
    var sealer: (any SecretSealing)? { get }
}

extension SQLiteStore: SealingStore {}

extension SealingStore {
    /// Every column that holds such a secret, with the key that names its row.
    static var secretColumns: [(table: String, key: String, column: String)] { secretColumnList }
}

/// Every column that holds a secret the server reads back, with the key that names its row.
let secretColumnList: [(table: String, key: String, column: String)] = [
        ("signing_keys", "kid", "private_key_pem"),
        ("webhook_endpoints", "id", "secret"),
        ("webhook_endpoints", "id", "previous_secret"),
        ("upstream_providers", "id", "client_secret"),
        ("user_factors", "id", "secret"),
]

extension SealingStore {
    /// What `secrets encrypt` does to one stored value (`nil`: leave it), given its `table:id` row.
    func sealingPlaintext() throws -> @Sendable (String, String) throws -> String? {
        guard let sealer else { throw StoreError.masterKeyRequired }
        return { value, row in SealedValue.isSealed(value) ? nil : try sealer.seal(value, row: row) }
    }

    /// What `secrets rotate-master-key` does to one stored value: open it with this store's key, seal it with the new one.
    func resealing(with newSealer: any SecretSealing) -> @Sendable (String, String) throws -> String? {
        { value, row in try newSealer.seal(try self.opened(value, row: row), row: row) }
    }

    /// Refuses a sealed value `sealer` cannot open: no key (``StoreError/masterKeyRequired``), or another key
    /// (``StoreError/masterKeyMismatch``).
    static func checkOpens(_ value: String, row: String, sealer: (any SecretSealing)?) throws {
        guard let sealer else { throw StoreError.masterKeyRequired }
        do { _ = try sealer.open(value, row: row) } catch { throw StoreError.masterKeyMismatch }
    }

    func sealed(_ value: String, table: String, id: String) throws -> String {
        guard let sealer, !SealedValue.isSealed(value) else { return value }
        return try sealer.seal(value, row: "\(table):\(id)")
    }

    func opened(_ value: String, table: String, id: String) throws -> String {
        try opened(value, row: "\(table):\(id)")
    }

    /// `value` in the clear: as stored, or opened with `row` (`table:id`) as associated data.
    func opened(_ value: String, row: String) throws -> String {
        guard SealedValue.isSealed(value) else { return value }
        guard let sealer else { throw StoreError.masterKeyRequired }
        do { return try sealer.open(value, row: row) } catch { throw StoreError.masterKeyMismatch }
    }

    func opened(_ key: SigningKeyRecord) throws -> SigningKeyRecord {
        var key = key
        key.privateKeyPem = try opened(key.privateKeyPem, table: "signing_keys", id: key.kid)
        return key
    }

    func sealed(_ key: SigningKeyRecord) throws -> SigningKeyRecord {
        var key = key
        key.privateKeyPem = try sealed(key.privateKeyPem, table: "signing_keys", id: key.kid)
        return key
    }

    func opened(_ endpoint: WebhookEndpointRecord) throws -> WebhookEndpointRecord {
        var endpoint = endpoint
        endpoint.secret = try opened(endpoint.secret, table: "webhook_endpoints", id: endpoint.id.rawValue)
        endpoint.previousSecret = try endpoint.previousSecret.map {
            try opened($0, table: "webhook_endpoints", id: endpoint.id.rawValue)
        }
        return endpoint
    }

    func sealed(_ endpoint: WebhookEndpointRecord) throws -> WebhookEndpointRecord {
        var endpoint = endpoint
        endpoint.secret = try sealed(endpoint.secret, table: "webhook_endpoints", id: endpoint.id.rawValue)
        endpoint.previousSecret = try endpoint.previousSecret.map {
            try sealed($0, table: "webhook_endpoints", id: endpoint.id.rawValue)
        }
        return endpoint
    }

    func opened(_ provider: UpstreamProviderRecord) throws -> UpstreamProviderRecord {
        var provider = provider
        provider.clientSecret = try opened(provider.clientSecret, table: "upstream_providers", id: provider.id.rawValue)
        return provider
    }

    func opened(_ factor: FactorRecord) throws -> FactorRecord {
        var factor = factor
        factor.secret = try factor.secret.map { try opened($0, table: "user_factors", id: factor.id.rawValue) }
        return factor
    }

    func sealed(_ factor: FactorRecord) throws -> FactorRecord {
        var factor = factor
        factor.secret = try factor.secret.map { try sealed($0, table: "user_factors", id: factor.id.rawValue) }
        return factor
    }

    func sealed(_ provider: UpstreamProviderRecord) throws -> UpstreamProviderRecord {
        var provider = provider
        provider.clientSecret = try sealed(provider.clientSecret, table: "upstream_providers", id: provider.id.rawValue)
        return provider
    }

}

extension SQLiteStore {
    /// Refuses a database whose sealed secrets `sealer` cannot open: no key (``StoreError/masterKeyRequired``),
    /// or another key (``StoreError/masterKeyMismatch``). Run before anything is written, so a wrong key
    /// stops a command before it changes anything.
    public static func checkSecretsOpen(_ reader: any DatabaseReader, sealer: (any SecretSealing)?) throws {
        try reader.read { db in
            guard try db.tableExists("signing_keys"), try db.tableExists("upstream_providers") else { return }
            // A database from before a table existed has nothing sealed in it yet.
            for (table, key, column) in secretColumns {
                guard try db.tableExists(table) else { continue }
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(key) AS id, \(column) AS value FROM \(table) WHERE \(column) LIKE ?",
                    arguments: [SealedValue.prefix + "%"])
                for row in rows {
                    let id: String = row["id"]
                    try checkOpens(row["value"], row: "\(table):\(id)", sealer: sealer)
                }
            }
        }
    }

    public func secretInventory() async throws -> SecretInventory {
        try await writer.read { db in
            var inventory = SecretInventory(sealed: 0, plaintext: 0)
            for (table, _, column) in Self.secretColumns {
                let values = try String.fetchAll(db, sql: "SELECT \(column) FROM \(table) WHERE \(column) IS NOT NULL")
                for value in values {
                    if SealedValue.isSealed(value) { inventory.sealed += 1 } else { inventory.plaintext += 1 }
                }
            }
            return inventory
        }
    }

    public func sealPlaintextSecrets() async throws -> Int {
        try await rewriteSecrets(try sealingPlaintext())
    }

    public func resealSecrets(with newSealer: any SecretSealing) async throws -> Int {
        try await rewriteSecrets(resealing(with: newSealer))
    }

    /// Rewrites every secret value in one transaction (`nil` keeps a value); returns how many changed.
    private func rewriteSecrets(_ change: @escaping @Sendable (String, String) throws -> String?) async throws -> Int {
        try await writer.write { db in
            var changed = 0
            for (table, key, column) in Self.secretColumns {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(key) AS id, \(column) AS value FROM \(table) WHERE \(column) IS NOT NULL")
                for row in rows {
                    let id: String = row["id"]
                    guard let new = try change(row["value"], "\(table):\(id)") else { continue }
                    try db.execute(
                        sql: "UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", arguments: [new, id])
                    changed += 1
                }
            }
            return changed
        }
    }
}

/// How many stored secrets are sealed and how many are still in the clear.
public struct SecretInventory: Sendable, Equatable {
    public var sealed: Int
    public var plaintext: Int

    public init(sealed: Int, plaintext: Int) {
        self.sealed = sealed
        self.plaintext = plaintext
    }
}
