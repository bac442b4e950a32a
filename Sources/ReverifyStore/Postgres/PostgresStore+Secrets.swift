import GRDB
import ReverifyCore

extension PostgresStore {
    public func secretInventory() async throws -> SecretInventory {
        throw Self.notImplemented(#function)
    }

    public func sealPlaintextSecrets() async throws -> Int {
        throw Self.notImplemented(#function)
    }

    public func resealSecrets(with newSealer: any SecretSealing) async throws -> Int {
        throw Self.notImplemented(#function)
    }
}
