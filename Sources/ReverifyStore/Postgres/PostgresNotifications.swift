import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Wakes the webhook worker when any instance commits an outbox event: one `LISTEN` on ``PostgresOutbox/channel``
/// on a connection of its own, reconnecting after a drop (issue 14: every instance delivers promptly, whichever
/// wrote the event). The worker's own poll still finds anything a lost connection missed.
final class PostgresNotifications: Sendable {
    private let database: PostgresDatabase
    private struct State {
        var listeners: [UUID: AsyncStream<Void>.Continuation] = [:]
        var task: Task<Void, Never>?
    }
    private let state = Mutex(State())

    init(database: PostgresDatabase) {
        self.database = database
    }

    func stream() -> AsyncStream<Void> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        state.withLock { state in
            state.listeners[id] = continuation
            if state.task == nil { state.task = Task { [weak self] in await self?.listen() } }
        }
        return stream
    }

    func stop() {
        state.withLock { state in
            state.task?.cancel()
            for continuation in state.listeners.values { continuation.finish() }
            state.listeners.removeAll()
        }
    }

    private func notify() {
        state.withLock { state in
            for continuation in state.listeners.values { continuation.yield() }
        }
    }

    private func listen() async {
        while !Task.isCancelled {
            do {
                try await database.client.withConnection { connection in
                    try await connection.listen(on: PostgresOutbox.channel) { notifications in
                        // Listening (again) now: whatever was committed before is found by one look at once.
                        self.notify()
                        for try await _ in notifications { self.notify() }
                    }
                }
            } catch {
                database.logger.warning("webhook notifications: \(PostgresDatabase.reason(error)); listening again")
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
