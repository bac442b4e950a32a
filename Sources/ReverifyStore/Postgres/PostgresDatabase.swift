import Foundation
import Logging
import Metrics
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A pool of connections to one PostgreSQL database and the transactions Reverify runs on it (issue 14).
///
/// Every write runs `SERIALIZABLE` and is retried on a serialization failure or deadlock, so each store method
/// keeps the guarantee SQLite's single writer gave it: it behaves as if it ran alone, whichever instance runs it
/// (PostgreSQL 15 docs 13.2.3). Reads run on a `REPEATABLE READ` snapshot. A connection lost before `COMMIT` is
/// retried on another; one lost during `COMMIT` (the outcome is unknown) and a database that stays unreachable
/// surface as ``StoreError/unavailable(_:)``, which clients see as 503 — never as a half-done write.
public final class PostgresDatabase: Sendable {
    /// How long one store call may wait for a connection before it is `unavailable`.
    static let operationDeadline: Duration = .seconds(10)
    /// Serialization failures are expected under contention (they are how SERIALIZABLE keeps its promise): a
    /// call retries until it succeeds or ``operationDeadline`` passes.
    static let maximumAttempts = 100

    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    /// Where ``retryCounterLabel`` is counted: a test's own factory, or (nil) the process's metrics system as it
    /// is when the retry happens (`reverify serve` bootstraps it after opening the database).
    let metrics: (any MetricsFactory)?
    private let runner: Task<Void, Never>

    /// `reverify_db_transaction_retries_total{reason}`: how often a call ran again, and why. Serialization
    /// failures are normal under contention; a rising rate of them is the first sign of a hot row or of an index
    /// scan turned sequential, and they are where a slow tail of writes comes from.
    static let retryCounterLabel = "reverify_db_transaction_retries_total"

    /// Connects once, directly, to fail fast with the server's own reason (wrong password, unknown database,
    /// nothing listening) instead of a pool that retries quietly; then starts the pool.
    public static func connect(
        _ location: PostgresLocation, maximumConnections: Int = 20, logger: Logger = Logger(label: "reverify.postgres"),
        metrics: (any MetricsFactory)? = nil
    ) async throws -> PostgresDatabase {
        let configuration = try Self.configuration(location, maximumConnections: maximumConnections)
        try await probe(location, configuration: configuration, logger: logger)
        return PostgresDatabase(location: location, configuration: configuration, logger: logger, metrics: metrics)
    }

    private init(
        location: PostgresLocation, configuration: PostgresClient.Configuration, logger: Logger,
        metrics: (any MetricsFactory)?
    ) {
        self.location = location
        self.logger = logger
        self.metrics = metrics
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Stops the pool; calls after this fail.
    public func close() { runner.cancel() }

    /// The TLS settings `sslmode` asks for; `nil` for `disable`.
    static func tls(_ location: PostgresLocation) -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.sslMode {
        case .disable: return nil
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let file = location.sslRootCertificate { tls.trustRoots = .file(file) }
        return tls
    }

    /// Every statement Reverify runs finds its rows by an index. A sequential scan takes a predicate lock on the
    /// whole table, and under SERIALIZABLE that makes unrelated transactions conflict (PostgreSQL 15 docs 13.2.3:
    /// "encourage the use of index scans"); small tables, where the planner would pick one, made most refreshes
    /// on two instances retry.
    static let sessionSettings: [(String, String)] = [("enable_seqscan", "off")]

    static func configuration(_ location: PostgresLocation, maximumConnections: Int) throws -> PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch (location.sslMode, tls(location)) {
            case (_, nil): .disable
            case (.prefer, let tls?): .prefer(tls)
            case (_, let tls?): .require(tls)
            }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: mode)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = Self.sessionSettings
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        return configuration
    }

    private static func probe(_ location: PostgresLocation, configuration: PostgresClient.Configuration, logger: Logger)
        async throws
    {
        let tls: PostgresConnection.Configuration.TLS =
            switch (location.sslMode, Self.tls(location)) {
            case (_, nil): .disable
            case (.prefer, let tls?): .prefer(try NIOSSLContext(configuration: tls))
            case (_, let tls?): .require(try NIOSSLContext(configuration: tls))
            }
        var direct = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls)
        direct.options.connectTimeout = .seconds(5)
        do {
            let connection = try await PostgresConnection.connect(configuration: direct, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw StoreError.unavailable("cannot connect to \(location.redacted): \(Self.reason(error))")
        }
    }

    /// A network error as an operator reads it: "Connection refused", not NIO's nested structures.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let io = error.connectionErrors.lazy.compactMap({ $0.error as? IOError }).first {
                return String(cString: strerror(io.errnoCode))
            }
            if let first = error.connectionErrors.first { return describe(first.error) }
            if let resolution = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve the host: \(resolution)" }
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "no answer within 5 s" }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return String(describing: error)
    }

    /// The server's message, or the network error, in one line (never the password: PostgreSQL does not echo it).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return describe(underlying) }
        return String(describing: error.code)
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
    }

    /// Runs `body` as one serializable transaction, retried from the start when PostgreSQL cannot serialize it.
    /// `body` may run more than once: it must not have effects outside the transaction.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL SERIALIZABLE", body)
    }

    /// Runs `body` in a `READ COMMITTED` transaction: for row locks taken explicitly (`FOR UPDATE SKIP LOCKED`),
    /// which a serializable snapshot would turn into needless conflicts.
    func writeLocking<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", body)
    }

    /// Runs `body`, which makes exactly one statement, outside an explicit transaction: a single statement is
    /// atomic and sees one snapshot by itself, and `BEGIN` and `COMMIT` would be two more round trips (the hot
    /// reads, issue 13). Retried and bounded like the others.
    func statement<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await transaction(begin: nil, body)
    }

    private func transaction<T: Sendable>(begin: String?, _ body: @escaping @Sendable (PostgresTransaction) async throws -> T)
        async throws -> T
    {
        let deadline = ContinuousClock.now + Self.operationDeadline
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withDeadline(deadline) { [client, logger] in
                    try await client.withConnection { connection in
                        let transaction = PostgresTransaction(connection: connection, logger: logger)
                        guard let begin else { return try await body(transaction) }
                        try await transaction.execute(begin)
                        do {
                            let result = try await body(transaction)
                            do {
                                try await transaction.execute("COMMIT")
                            } catch {
                                // A server's refusal to commit (40001) rolled back and may be retried; a connection
                                // lost during COMMIT leaves the outcome unknown, and retrying could apply it twice.
                                if let error = error as? PSQLError, error.code == .server { throw error }
                                throw TransactionFailure(
                                    error: StoreError.unavailable("the database connection was lost during COMMIT"))
                            }
                            return result
                        } catch let error as TransactionFailure {
                            throw error
                        } catch {
                            // A closed connection has nothing to roll back (the server did), and a statement
                            // written to it would never be answered.
                            if !connection.isClosed { _ = try? await transaction.execute("ROLLBACK") }
                            throw error
                        }
                    }
                }
            } catch let failure as TransactionFailure {
                throw failure.error
            } catch {
                switch Self.classify(error) {
                case .retry(let reason) where attempt < Self.maximumAttempts && ContinuousClock.now < deadline:
                    Counter(
                        label: Self.retryCounterLabel, dimensions: [("reason", reason.rawValue)],
                        factory: metrics ?? MetricsSystem.factory
                    ).increment()
                    // Jittered backoff, so colliding transactions do not collide again in step.
                    try await Task.sleep(for: .microseconds(Int.random(in: 100...(1_000 * min(attempt, 20)))))
                    continue
                case .retry, .unavailable:
                    throw StoreError.unavailable("the database is unavailable: \(Self.reason(error))")
                case .other:
                    throw error
                }
            }
        }
    }

    private enum Classification { case retry(RetryReason), unavailable, other }

    /// Why a call ran again: the `reason` of ``retryCounterLabel``.
    enum RetryReason: String, CaseIterable {
        case serializationFailure = "serialization_failure"
        case deadlock
        case serverUnavailable = "server_unavailable"
        case connectionLost = "connection_lost"
    }

    private static func classify(_ error: any Error) -> Classification {
        if let error = error as? StoreError, case .unavailable = error { return .unavailable }
        if error is ConnectionClosed { return .retry(.connectionLost) }
        guard let error = error as? PSQLError else { return .other }
        switch error.code {
        case .server:
            switch error.serverInfo?[.sqlState] {
            // serialization_failure, deadlock_detected: the transaction was rolled back and may run again.
            case "40001": return .retry(.serializationFailure)
            case "40P01": return .retry(.deadlock)
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
            case "57P01", "57P02", "57P03", "53300": return .retry(.serverUnavailable)
            default: return .other
            }
        case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection, .poolClosed:
            return .retry(.connectionLost)
        default: return .other
        }
    }

    /// `body`'s result, or ``StoreError/unavailable(_:)`` at `deadline`, whichever comes first. Not a task group:
    /// a group would wait for `body` to finish, and a call stuck on a connection that will never answer would
    /// hold its caller forever; here the caller gets its answer and `body`, cancelled, ends when it can.
    private func withDeadline<T: Sendable>(
        _ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation, deadline: deadline, body: body)
            }
        } onCancel: {
            race.cancel()
        }
    }
}

/// The two tasks of ``PostgresDatabase/withDeadline(_:_:)`` and the continuation the first to finish resumes.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<T, any Error>, deadline: ContinuousClock.Instant,
        body: @escaping @Sendable () async throws -> T
    ) {
        state.withLock { $0.continuation = continuation }
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            self.finish(result)
        }
        let timer = Task {
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            self.finish(.failure(StoreError.unavailable("no answer from the database within \(PostgresDatabase.operationDeadline)")))
        }
        state.withLock { state in
            state.work = work
            state.timer = timer
        }
    }

    private func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        guard let continuation else { return }
        continuation.resume(with: result)
        // The loser is cancelled: the timer at once; a stuck body whenever it next checks.
        work?.cancel()
        timer?.cancel()
    }

    func cancel() {
        state.withLock { $0.work }?.cancel()
    }
}

/// A failure during `COMMIT`: whether the transaction committed is unknown, so it must not be retried.
struct TransactionFailure: Error {
    let error: any Error
}

extension PostgresDatabase {
    /// Runs one statement outside any transaction (`CREATE DATABASE` cannot run inside one).
    public func executeOutsideTransaction(_ sql: String) async throws {
        try await client.withConnection { [logger] connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).get()
        }
    }
}
