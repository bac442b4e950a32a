import GRDB
import ReverifyCore

/// Secrets at rest (issue 15.3): the PostgreSQL twins of `SQLiteStore+Secrets.swift`, over the same
/// ``SealingStore/secretColumns`` with the same `table:row id` associated data, so a database copied from one
/// backend to the other opens with the same master key.
extension PostgresStore {
    public func secretInventory() async throws -> SecretInventory {
        try await database.read { tx in
            var inventory = SecretInventory(sealed: 0, plaintext: 0)
            for (table, _, column) in Self.secretColumns {
                for value in try await tx.values(String.self, "SELECT \(column) FROM \(table) WHERE \(column) IS NOT NULL") {
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
    /// `change` only computes: the transaction may run again after a conflict, and starts from the stored rows.
    private func rewriteSecrets(_ change: @escaping @Sendable (String, String) throws -> String?) async throws -> Int {
        try await database.write { tx in
            var changed = 0
            for (table, key, column) in Self.secretColumns {
                let rows = try await tx.rows(
                    "SELECT \(key)::text AS id, \(column) AS value FROM \(table) WHERE \(column) IS NOT NULL ORDER BY \(key)")
                for row in rows {
                    let id: String = row["id"]
                    guard let new = try change(row["value"], "\(table):\(id)") else { continue }
                    try await tx.execute("UPDATE \(table) SET \(column) = ? WHERE \(key) = ?", [new, id])
                    changed += 1
                }
            }
            return changed
        }
    }
}
