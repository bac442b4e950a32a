import ReverifyCore
import Synchronization

/// Client records kept in memory by ``SQLiteStore`` (issue 13: every token, introspection and authorize
/// request read its client, with its redirect URIs, from the database).
///
/// Copies stay valid while the `clients` generation is unchanged. Triggers bump it in the transaction of
/// every change to `clients` and `client_redirect_uris`, whichever process makes it (migration
/// 0022_cache_generations); it is read again, with the client, once ``revalidateAfter`` has passed since the
/// last read, so a change made by the CLI is seen within that time. Changes made through this store drop
/// every copy at once.
final class ClientCache: Sendable {
    static let revalidateAfter: Duration = .milliseconds(100)

    private struct State {
        var generation: Int64 = .min
        /// When the newest generation read so far was read; `nil` after a local change.
        var validatedAt: ContinuousClock.Instant?
        /// Bumped by every local change, so a read that began before it cannot store what it saw.
        var epoch = 0
        var clients: [ClientID: StoredClient] = [:]
    }

    private let state = Mutex(State())

    /// A copy validated within ``revalidateAfter`` of `now`.
    func fresh(_ id: ClientID, now: ContinuousClock.Instant) -> StoredClient? {
        state.withLock { state in
            guard let validated = state.validatedAt, now - validated < Self.revalidateAfter else { return nil }
            return state.clients[id]
        }
    }

    /// Where a read begins: pass it back to ``store(_:id:generation:readAt:epoch:)``.
    var epoch: Int { state.withLock { $0.epoch } }

    /// Keeps what a read begun at `readAt` saw, unless a newer generation or a local change came since.
    func store(_ client: StoredClient?, id: ClientID, generation: Int64, readAt: ContinuousClock.Instant, epoch: Int) {
        state.withLock { state in
            guard epoch == state.epoch, generation >= state.generation else { return }
            if generation != state.generation {
                state.clients.removeAll()
                state.generation = generation
                state.validatedAt = readAt
            } else if let validated = state.validatedAt {
                state.validatedAt = max(validated, readAt)
            } else {
                state.validatedAt = readAt
            }
            state.clients[id] = client
        }
    }

    /// Forgets every copy (a change made through this store).
    func invalidate() {
        state.withLock { state in
            state.epoch += 1
            state.validatedAt = nil
            state.clients.removeAll()
        }
    }
}
