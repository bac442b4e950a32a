import GRDB
import ReverifyCore

extension PostgresStore {
    public func prune(_ cutoffs: RetentionCutoffs) async throws -> PruneReport {
        throw Self.notImplemented(#function)
    }
}
