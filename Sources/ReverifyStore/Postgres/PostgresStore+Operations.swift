import GRDB
import ReverifyCore

extension PostgresStore {
    /// The webhook queue per endpoint, for metrics (issue 15.1): the twin of `SQLiteStore.webhookQueueStats()`.
    public func webhookQueueStats() async throws -> [WebhookQueueStats] {
        try await database.read { tx in
            try await tx.rows(
                """
                SELECT e.id AS endpoint_id,
                    COUNT(CASE WHEN d.status IN ('pending', 'delivering') THEN 1 END) AS undelivered,
                    MIN(CASE WHEN d.status IN ('pending', 'delivering') THEN d.created_at END) AS oldest,
                    COALESCE(SUM(d.attempts), 0)::bigint AS attempts,
                    COUNT(CASE WHEN d.status = 'dead' THEN 1 END) AS dead
                FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id
                GROUP BY e.id ORDER BY e.id COLLATE "C"
                """
            ).map { row in
                WebhookQueueStats(
                    endpointId: WebhookEndpointID(rawValue: row["endpoint_id"]), undelivered: row["undelivered"],
                    oldestUndeliveredAt: (row["oldest"] as Int64?).map { UnixTime($0) }, attempts: row["attempts"],
                    dead: row["dead"])
            }
        }
    }
}
