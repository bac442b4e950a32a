import GRDB
import ReverifyCore

extension PostgresStore {
    public func webhookQueueStats() async throws -> [WebhookQueueStats] {
        throw Self.notImplemented(#function)
    }
}
