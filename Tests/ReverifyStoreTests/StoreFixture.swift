import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore

/// A fresh, empty store on one backend: a real SQLite file in a new temporary folder, or a new database on
/// the throwaway PostgreSQL server `scripts/test` starts (issue 14: one suite, run against both).
struct StoreFixture: Sendable {
    let backend: Backend
    let directory: URL
    /// The SQLite file; for PostgreSQL, the database's URL.
    let path: String
    let store: any Store
    let now = UnixTime(1_795_000_000)
    /// A PostgreSQL fixture's place among those running at once.
    private var permit: SlotPermit?

    /// A SQLite store (the tests written before issue 14 construct this one synchronously).
    init(sealer: (any SecretSealing)? = nil) throws {
        backend = .sqlite
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-\(UUID().uuidString)")
        path = directory.appendingPathComponent("test.sqlite").path
        store = try SQLiteStore(path: path, sealer: sealer)
    }

    private init(backend: Backend, directory: URL, path: String, store: any Store) {
        self.backend = backend
        self.directory = directory
        self.path = path
        self.store = store
    }

    /// An empty store on `backend`.
    static func make(_ backend: Backend, sealer: (any SecretSealing)? = nil) async throws -> StoreFixture {
        switch backend {
        case .sqlite:
            return try StoreFixture(sealer: sealer)
        case .postgres:
            await PostgresTestServer.slots.acquire()
            let permit = SlotPermit(PostgresTestServer.slots)
            let location = try await PostgresTestServer.freshDatabase(migrated: true)
            let store = try await PostgresStore.open(location, sealer: sealer, schema: .requireCurrent, maximumConnections: 4)
            var fixture = StoreFixture(
                backend: .postgres, directory: FileManager.default.temporaryDirectory, path: location.urlString, store: store)
            fixture.permit = permit
            return fixture
        }
    }

    /// Another store on the same database, as another process (the CLI, a second instance) would open it.
    func reopen(sealer: (any SecretSealing)? = nil) async throws -> any Store {
        switch backend {
        case .sqlite: try SQLiteStore(path: path, sealer: sealer)
        case .postgres: try await PostgresStore.open(try PostgresLocation(url: path), sealer: sealer, maximumConnections: 4)
        }
    }

    /// The SQLite store of a fixture made by ``init(sealer:)``.
    var sqliteStore: SQLiteStore { store as! SQLiteStore }

    func remove() {
        switch backend {
        case .sqlite: try? FileManager.default.removeItem(at: directory)
        case .postgres:
            (store as? PostgresStore)?.close()
            permit?.release()
        }
    }

    // MARK: Looking inside, the same SQL on both backends (`?` placeholders)

    /// The first column of every row, as text (NULLs skipped).
    func strings(_ sql: String, _ arguments: [(any DatabaseValueConvertible & Sendable)?] = []) async throws -> [String] {
        try await rows(sql, arguments).compactMap { row in
            let value = row[0]
            if value.isNull { return nil }
            return String.fromDatabaseValue(value) ?? Int64.fromDatabaseValue(value).map(String.init)
        }
    }

    func count(_ sql: String, _ arguments: [(any DatabaseValueConvertible & Sendable)?] = []) async throws -> Int {
        let value = try await rows(sql, arguments).first.flatMap { Int64.fromDatabaseValue($0[0]) }
        return Int(value ?? 0)
    }

    func rows(_ sql: String, _ arguments: [(any DatabaseValueConvertible & Sendable)?] = []) async throws -> [InspectedRow] {
        let arguments = arguments.map { $0?.databaseValue ?? .null }
        switch store {
        case let store as SQLiteStore:
            return try await store.writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(InspectedRow.init)
            }
        case let store as PostgresStore:
            return try await store.database.read { tx in
                try await tx.orderedRows(sql, arguments).map { InspectedRow(columns: $0.columns, values: $0.values) }
            }
        default: fatalError("unknown store")
        }
    }

    /// Runs a raw statement (test set-up that no store method would do, e.g. ageing a row).
    func execute(_ sql: String, _ arguments: [(any DatabaseValueConvertible & Sendable)?] = []) async throws {
        let arguments = arguments.map { $0?.databaseValue ?? .null }
        switch store {
        case let store as SQLiteStore:
            try await store.writer.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
        case let store as PostgresStore:
            try await store.database.write { tx in _ = try await tx.execute(sql, arguments) }
        default: fatalError("unknown store")
        }
    }

    /// Inserts a record as it is, through the backend's own record encoding (no store method's rules).
    func insert<Record: PersistableRecord & Sendable>(_ record: Record) async throws {
        switch store {
        case let store as SQLiteStore:
            try await store.writer.write { db in try record.insert(db) }
        case let store as PostgresStore:
            try await store.database.write { tx in try await tx.insert(record) }
        default: fatalError("unknown store")
        }
    }

    func user(_ email: String = "alice@example.com") async throws -> UserRecord {
        let user = UserRecord(
            id: UserID(rawValue: IdentifierGenerator.make(prefix: "usr")), email: email, name: nil, passwordHash: nil,
            createdAt: now, updatedAt: now)
        try await store.createUser(user)
        return user
    }

    func client() async throws -> StoredClient {
        let client = StoredClient(
            record: ClientRecord(
                id: ClientID(rawValue: IdentifierGenerator.make(prefix: "cli")), name: "RP", secretHash: nil,
                tokenEndpointAuthMethod: .none, createdAt: now),
            redirectURIs: ["https://rp.example/cb", "https://rp.example/cb2"], postLogoutRedirectURIs: ["https://rp.example/"])
        try await store.createClient(client)
        return client
    }

    func session(for user: UserRecord, authTime: UnixTime? = nil) async throws -> SessionRecord {
        let session = SessionRecord(
            id: SessionID(rawValue: IdentifierGenerator.make(prefix: "ses")), secretHash: OpaqueToken.generate().hash.hex,
            userId: user.id, createdAt: now, authTime: authTime ?? now, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: now]), ipAddress: "127.0.0.1", userAgent: "test",
            deviceId: nil, lastSeenAt: now, idleExpiresAt: now + .hours(1), expiresAt: now + .days(1))
        try await store.createSession(
            session, audit: AuditRecord(at: now, event: .signIn, outcome: .success, userId: user.id, sessionId: session.id))
        return session
    }

    /// A pending sign-in flow for a fresh client, as the authorization endpoint would store it.
    func pendingRequest() async throws -> AuthorizationRequestID {
        let client = try await client()
        let request = AuthorizeRequest(
            clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
            codeChallenge: nil, maxAge: nil, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [], action: nil,
            receivedAt: now)
        let id = AuthorizationRequestID(rawValue: IdentifierGenerator.make(prefix: "req"))
        try await store.saveAuthorizationRequest(
            AuthorizationRequestRecord(
                id: id, browserHash: "b", csrfHash: "c", clientId: client.record.id, request: request, sessionId: nil,
                pinnedUserId: nil, reason: .noSession, createdAt: now, expiresAt: now + 900),
            audit: nil)
        return id
    }

    func code(client: StoredClient, session: SessionRecord, minAuthTime: UnixTime? = nil, scope: String = "openid") async throws
        -> AuthorizationCodeRecord
    {
        let code = AuthorizationCodeRecord(
            codeHash: OpaqueToken.generate().hash.hex, clientId: client.record.id, redirectUri: "https://rp.example/cb",
            sessionId: session.id, userId: session.userId, scope: scope, nonce: "n", codeChallenge: nil,
            minAuthTime: minAuthTime, createdAt: now, expiresAt: now + 60)
        try await store.insertCode(code)
        return code
    }

    var replayAudit: AuditRecord { AuditRecord(at: now, event: .codeReplay, outcome: .failure, reason: "code_replay") }
    var reuseAudit: AuditRecord { AuditRecord(at: now, event: .refreshTokenReuse, outcome: .failure, reason: "refresh_reuse") }

    func issuance(at time: UnixTime? = nil) -> (TokenIssuance, refreshHash: String) {
        let grant = GrantID(rawValue: IdentifierGenerator.make(prefix: "grt"))
        let refresh = OpaqueToken.generate().hash.hex
        let t = time ?? now
        return (
            TokenIssuance(
                grantID: grant,
                refreshToken: RefreshTokenRecord(tokenHash: refresh, grantId: grant, parentHash: nil, createdAt: t, expiresAt: t + .days(1)),
                accessToken: AccessTokenRecord(jti: IdentifierGenerator.make(prefix: "at"), grantId: grant, expiresAt: t + 600)),
            refresh
        )
    }
}

/// A row read by ``StoreFixture/rows(_:_:)``: its values by position or column name.
struct InspectedRow: Sendable {
    let columns: [String]
    let values: [DatabaseValue]

    init(_ row: Row) {
        columns = Array(row.columnNames)
        values = Array(row.databaseValues)
    }

    init(columns: [String], values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    subscript(_ index: Int) -> DatabaseValue { values[index] }

    /// The row as GRDB hands it to a record's decoding.
    var row: Row { Row(Dictionary(uniqueKeysWithValues: zip(columns, values))) }

    subscript(_ column: String) -> DatabaseValue {
        columns.firstIndex { $0.lowercased() == column.lowercased() }.map { values[$0] } ?? .null
    }
}
