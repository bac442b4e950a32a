import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Testing

/// The hot records' hand-written row coding (issue 13) reads and writes every column exactly as the synthesised
/// Codable conformances do, on both backends: each record is written through its hand-written encoding, read
/// back as a row and decoded both ways, and the encoding names every column of its table. One record of each
/// type has every optional column set, the other none.
@Suite struct HotRecordColumnsTests {
    @Test(arguments: Backend.all)
    func handWrittenRowCodingMatchesCodableForEveryColumn(_ backend: Backend) async throws {
        let f = try await StoreFixture.make(backend)
        defer { f.remove() }
        let client = try await f.client()
        let t = f.now

        let full = UserRecord(
            id: UserID(rawValue: "usr_full"), email: "full@example.com", name: "Full Name", passwordHash: "$argon2id$x",
            emailVerified: true, disabledAt: t + 5, createdAt: t, updatedAt: t + 1, givenName: "Full",
            familyName: "Name", preferredUsername: "full")
        let sparse = UserRecord(
            id: UserID(rawValue: "usr_sparse"), email: "sparse@example.com", name: nil, passwordHash: nil,
            createdAt: t, updatedAt: t)
        var levels = LevelHistory()
        levels.record(.multiFactor, at: t + 2)
        let fullSession = SessionRecord(
            id: SessionID(rawValue: "ses_full"), secretHash: "s1", userId: full.id, createdAt: t, authTime: t + 2,
            amr: [.pwd, .otp, .mfa], acr: .multiFactor, verifications: VerificationHistory([.password: t, .totp: t + 2]),
            ipAddress: "192.0.2.1", userAgent: "UA", deviceId: "dev", lastSeenAt: t + 3, idleExpiresAt: t + 60,
            expiresAt: t + 600, revokedAt: t + 9, levels: levels)
        let sparseSession = SessionRecord(
            id: SessionID(rawValue: "ses_sparse"), secretHash: "s2", userId: sparse.id, createdAt: t, authTime: t,
            amr: [], acr: .singleFactor, verifications: VerificationHistory([:]), ipAddress: nil, userAgent: nil,
            deviceId: nil, lastSeenAt: t, idleExpiresAt: t + 60, expiresAt: t + 600)
        var fullGrant = GrantRecord(
            id: GrantID(rawValue: "grt_full"), clientId: client.record.id, userId: full.id, sessionId: fullSession.id,
            scope: "openid email", nonce: "n",
            claims: ClaimsRequest(idToken: ["acr": nil], userinfo: ["email": ClaimRequest(essential: true)]), createdAt: t)
        fullGrant.action = "billing"
        fullGrant.revokedAt = t + 7
        fullGrant.revokedReason = "logout"
        let sparseGrant = GrantRecord(
            id: GrantID(rawValue: "grt_sparse"), clientId: client.record.id, userId: sparse.id,
            sessionId: sparseSession.id, scope: "openid", nonce: nil, createdAt: t)
        var usedRefresh = RefreshTokenRecord(
            tokenHash: "r1", grantId: fullGrant.id, parentHash: "r0", createdAt: t, expiresAt: t + 60)
        usedRefresh.usedAt = t + 1
        let freshRefresh = RefreshTokenRecord(
            tokenHash: "r2", grantId: sparseGrant.id, parentHash: nil, createdAt: t, expiresAt: t + 60)
        var revokedAccess = AccessTokenRecord(jti: "at_full", grantId: fullGrant.id, expiresAt: t + 60, oneShot: true)
        revokedAccess.revokedAt = t + 3
        let plainAccess = AccessTokenRecord(jti: "at_sparse", grantId: sparseGrant.id, expiresAt: t + 60)

        var usedCode = AuthorizationCodeRecord(
            codeHash: "c1", clientId: client.record.id, redirectUri: "https://rp.example/cb", sessionId: fullSession.id,
            userId: full.id, scope: "openid", nonce: "n", codeChallenge: "ch",
            claims: ClaimsRequest(idToken: ["auth_time": ClaimRequest(essential: true)]), minAuthTime: t + 1,
            createdAt: t, expiresAt: t + 60)
        usedCode.action = "billing"
        usedCode.usedAt = t + 2
        let plainCode = AuthorizationCodeRecord(
            codeHash: "c2", clientId: client.record.id, redirectUri: "https://rp.example/cb", sessionId: sparseSession.id,
            userId: sparse.id, scope: "openid", nonce: nil, codeChallenge: nil, minAuthTime: nil, createdAt: t,
            expiresAt: t + 60)
        let fullAudit = AuditRecord(
            at: t, event: .authorizeDecision, outcome: .success, userId: full.id, sessionId: fullSession.id,
            clientId: client.record.id, method: .password, reason: "fresh", ipAddress: "192.0.2.1", userAgent: "UA",
            detail: ["b": "2", "a": "1"], requestId: "req_1")
        let sparseAudit = AuditRecord(at: t, event: .signOut, outcome: .failure, requestId: nil)

        for record in [full, sparse] { try await f.insert(record) }
        for record in [fullSession, sparseSession] { try await f.insert(record) }
        for record in [fullGrant, sparseGrant] { try await f.insert(record) }
        for record in [usedRefresh, freshRefresh] { try await f.insert(record) }
        for record in [revokedAccess, plainAccess] { try await f.insert(record) }
        for record in [usedCode, plainCode] { try await f.insert(record) }

        try await expectBothDecodings(f, "users", key: "id", [full, sparse].map { ($0.id.rawValue, $0) })
        try await expectBothDecodings(
            f, "sessions", key: "id", [fullSession, sparseSession].map { ($0.id.rawValue, $0) })
        try await expectBothDecodings(f, "grants", key: "id", [fullGrant, sparseGrant].map { ($0.id.rawValue, $0) })
        try await expectBothDecodings(
            f, "refresh_tokens", key: "token_hash", [usedRefresh, freshRefresh].map { ($0.tokenHash, $0) })
        try await expectBothDecodings(
            f, "access_tokens", key: "jti", [revokedAccess, plainAccess].map { ($0.jti, $0) })
        try await expectCodableDecoding(
            f, "authorization_codes", key: "code_hash", [usedCode, plainCode].map { ($0.codeHash, $0) })
        // The token check's chain, read in one joined row (by position on SQLite): every column of four records.
        #expect(
            try await f.store.accessTokenChain(jti: revokedAccess.jti)
                == AccessTokenChain(token: revokedAccess, grant: fullGrant, session: fullSession, user: full))
        #expect(
            try await f.store.accessTokenChain(jti: plainAccess.jti)
                == AccessTokenChain(token: plainAccess, grant: sparseGrant, session: sparseSession, user: sparse))
        let signedIn = try #require(try await f.store.sessionWithUser(secretHash: fullSession.secretHash))
        #expect(signedIn.0 == fullSession && signedIn.1 == full)
        if backend == .sqlite {
            // A rotation's chain, read inside its write transaction.
            let hash = usedRefresh.tokenHash
            let chain = try await f.sqliteStore.writer.read { db in try SQLiteStore.refreshTokenChain(hash: hash, db) }
            #expect(chain?.token == usedRefresh && chain?.grant == fullGrant && chain?.session == fullSession && chain?.user == full)
        }

        // A hosted flow's request, read by every page and form of the flow (by position on SQLite).
        var fullFlow = AuthorizationRequestRecord(
            id: AuthorizationRequestID(rawValue: "req_full"), browserHash: "b1", csrfHash: "c1", clientId: client.record.id,
            request: AuthorizeRequest(
                clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid", "email"], state: "s",
                nonce: "n", codeChallenge: nil, maxAge: 300, prompt: PromptSet([.login]), idTokenHint: nil,
                loginHint: "full@example.com", acrValues: [ACR.multiFactor.rawValue], action: "billing", receivedAt: t),
            sessionId: fullSession.id, pinnedUserId: full.id, reason: .maxAge, createdAt: t, expiresAt: t + 900,
            continuation: .accountSecurity(returnTo: "/account/security"))
        fullFlow.completedAt = t + 4
        let sparseFlow = AuthorizationRequestRecord(
            id: AuthorizationRequestID(rawValue: "req_sparse"), browserHash: "b2", csrfHash: "c2", clientId: client.record.id,
            request: AuthorizeRequest(
                clientID: client.record.id, redirectURI: "https://rp.example/cb", scopes: ["openid"], state: nil, nonce: nil,
                codeChallenge: nil, maxAge: nil, prompt: PromptSet(), idTokenHint: nil, loginHint: nil, acrValues: [],
                action: nil, receivedAt: t),
            sessionId: nil, pinnedUserId: nil, reason: .noSession, createdAt: t, expiresAt: t + 900)
        for flow in [fullFlow, sparseFlow] {
            try await f.store.saveAuthorizationRequest(flow, audit: nil)
            #expect(try await f.store.authorizationRequest(id: flow.id) == flow)
        }

        for audit in [fullAudit, sparseAudit] {
            try await f.store.appendAudit(audit)
        }
        let audits = try await f.rows("SELECT * FROM audit_log ORDER BY id").map {
            var decoded = try FetchableRecordDecoder().decode(AuditRecord.self, from: $0.row)
            decoded.id = nil
            return decoded
        }
        #expect(audits.suffix(2) == [fullAudit, sparseAudit])

        let endpoint = WebhookEndpointRecord(
            id: WebhookEndpointID(rawValue: "whe_1"), url: "https://hooks.example/in", eventTypes: nil, allowPrivate: false,
            secret: WebhookSecret.generate().encoded, createdAt: t)
        try await f.store.createWebhookEndpoint(endpoint)
        for id in ["evt_1", "evt_2"] {
            try await f.store.enqueueWebhookEvent(
                WebhookEvent(id: WebhookEventID(rawValue: id), type: .test, createdAt: t, data: WebhookEventData(endpointId: endpoint.id)),
                to: endpoint.id)
        }
        let stored = try await f.rows("SELECT * FROM webhook_deliveries ORDER BY event_seq").map {
            try FetchableRecordDecoder().decode(WebhookDeliveryRecord.self, from: $0.row)
        }
        var leased = try #require(stored.first)
        leased.status = .delivering
        leased.attempts = 2
        leased.leaseOwner = "w1"
        leased.leaseExpiresAtMs = UnixMilliseconds(rawValue: 1_795_000_030_000)
        leased.lastStatus = 503
        leased.lastError = "HTTP 503"
        leased.deliveredAtMs = UnixMilliseconds(rawValue: 1_795_000_031_000)
        let untouched = try #require(stored.last)
        try await f.execute("DELETE FROM webhook_deliveries WHERE id = ?", [leased.id])
        try await f.insert(leased)
        try await expectBothDecodings(
            f, "webhook_deliveries", key: "CAST(id AS TEXT)", [leased, untouched].map { (String($0.id!), $0) })
        let answered = WebhookAttemptRecord(
            deliveryId: leased.id!, attempt: 1, worker: "w1", startedAtMs: UnixMilliseconds(rawValue: 1_795_000_000_000),
            latencyMs: 12, httpStatus: 503, error: "HTTP 503")
        let unanswered = WebhookAttemptRecord(
            deliveryId: leased.id!, attempt: 2, worker: "w1", startedAtMs: UnixMilliseconds(rawValue: 1_795_000_001_000),
            latencyMs: 15_000, httpStatus: nil, error: nil)
        for attempt in [answered, unanswered] { try await f.insert(attempt) }
        let attempts = try await f.rows("SELECT * FROM webhook_attempts ORDER BY id").map {
            var decoded = try FetchableRecordDecoder().decode(WebhookAttemptRecord.self, from: $0.row)
            decoded.id = nil
            return decoded
        }
        #expect(attempts == [answered, unanswered])

        try await expectEveryColumnWritten(f, "webhook_deliveries", leased)
        try await expectEveryColumnWritten(f, "webhook_attempts", answered)
        try await expectEveryColumnWritten(f, "sessions", fullSession)
        try await expectEveryColumnWritten(f, "grants", fullGrant)
        try await expectEveryColumnWritten(f, "authorization_codes", usedCode)
        try await expectEveryColumnWritten(f, "refresh_tokens", usedRefresh)
        try await expectEveryColumnWritten(f, "access_tokens", revokedAccess)
        try await expectEveryColumnWritten(f, "audit_log", fullAudit)
    }

    private func expectEveryColumnWritten(_ f: StoreFixture, _ table: String, _ record: some EncodableRecord) async throws {
        let columns = switch f.backend {
        case .sqlite: try await f.strings("SELECT name FROM pragma_table_info(?)", [table])
        case .postgres:
            try await f.strings(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
                [table])
        }
        #expect(Set(try record.databaseDictionary.keys) == Set(columns), "\(table)")
    }

    private func expectCodableDecoding<Record: FetchableRecord & Decodable & Equatable>(
        _ f: StoreFixture, _ table: String, key: String, _ expected: [(String, Record)]
    ) async throws {
        for (id, record) in expected {
            let row = try #require(try await f.rows("SELECT * FROM \(table) WHERE \(key) = ?", [id]).first).row
            #expect(try FetchableRecordDecoder().decode(Record.self, from: row) == record, "\(table) \(id)")
        }
    }

    private func expectBothDecodings<Record: FetchableRecord & Decodable & Equatable>(
        _ f: StoreFixture, _ table: String, key: String, _ expected: [(String, Record)]
    ) async throws {
        for (id, record) in expected {
            let row = try #require(try await f.rows("SELECT * FROM \(table) WHERE \(key) = ?", [id]).first).row
            let handWritten = try Record(row: row)
            let codable = try FetchableRecordDecoder().decode(Record.self, from: row)
            #expect(handWritten == codable, "\(table) \(id)")
            #expect(handWritten == record, "\(table) \(id)")
        }
    }

    /// A record read by position from a joined row reads every column of its table, and only those.
    @Test func everyPositionalRecordListsTheColumnsOfItsTable() async throws {
        let f = try await StoreFixture.make(.sqlite)
        defer { f.remove() }
        let records: [any PositionalRecord.Type] = [
            AccessTokenRecord.self, RefreshTokenRecord.self, GrantRecord.self, SessionRecord.self, UserRecord.self,
            AuthorizationRequestRecord.self,
        ]
        for record in records {
            let name = record.databaseTableName
            let table = try await f.sqliteStore.writer.read { db in try db.columns(in: name).map(\.name) }
            #expect(record.columns.sorted() == table.sorted(), "\(record.databaseTableName)")
        }
    }

    /// The token paths' own statements (`SQLiteStore+HotPaths`) write what GRDB's record `insert` and `update`
    /// write: every column, the same values. Each record sets every optional column, so a column left out shows.
    @Test func theTokenPathsOwnStatementsWriteWhatTheRecordsWould() async throws {
        let f = try await StoreFixture.make(.sqlite)
        defer { f.remove() }
        let store = try #require(f.store as? SQLiteStore)
        let t = f.now
        let grant = GrantID(rawValue: "grt_x")
        func refreshToken(_ hash: String) -> RefreshTokenRecord {
            var token = RefreshTokenRecord(tokenHash: hash, grantId: grant, parentHash: "r0", createdAt: t, expiresAt: t + 60)
            token.usedAt = t + 1
            return token
        }
        func accessToken(_ jti: String) -> AccessTokenRecord {
            var token = AccessTokenRecord(jti: jti, grantId: grant, expiresAt: t + 60, oneShot: true)
            token.revokedAt = t + 3
            return token
        }
        func code(_ hash: String) -> AuthorizationCodeRecord {
            AuthorizationCodeRecord(
                codeHash: hash, clientId: ClientID(rawValue: "cli_x"), redirectUri: "https://rp.example/cb",
                sessionId: SessionID(rawValue: "ses_x"), userId: UserID(rawValue: "usr_x"), scope: "openid", nonce: "n",
                codeChallenge: "ch", minAuthTime: t, createdAt: t, expiresAt: t + 60)
        }
        let (refreshOurs, refreshGRDB) = (refreshToken("r-ours"), refreshToken("r-grdb"))
        let (unusedOurs, unusedGRDB) = (
            RefreshTokenRecord(tokenHash: "u-ours", grantId: grant, parentHash: "r0", createdAt: t, expiresAt: t + 60),
            RefreshTokenRecord(tokenHash: "u-grdb", grantId: grant, parentHash: "r0", createdAt: t, expiresAt: t + 60))
        let (accessOurs, accessGRDB) = (accessToken("at-ours"), accessToken("at-grdb"))
        let (codeOurs, codeGRDB) = (code("c-ours"), code("c-grdb"))
        func fullCode(_ hash: String) -> AuthorizationCodeRecord {
            var full = code(hash)
            full.claims = ClaimsRequest(idToken: ["auth_time": ClaimRequest(essential: true)])
            full.action = "billing"
            full.usedAt = t + 1
            full.grantId = grant
            return full
        }
        let (fullCodeOurs, fullCodeGRDB) = (fullCode("k-ours"), fullCode("k-grdb"))
        func session(_ id: String) -> SessionRecord {
            var levels = LevelHistory()
            levels.record(.multiFactor, at: t + 2)
            return SessionRecord(
                id: SessionID(rawValue: id), secretHash: "h-" + id, userId: UserID(rawValue: "usr_x"), createdAt: t,
                authTime: t + 2, amr: [.pwd, .otp, .mfa], acr: .multiFactor,
                verifications: VerificationHistory([.password: t, .totp: t + 2]), ipAddress: "192.0.2.1", userAgent: "UA",
                deviceId: "dev", lastSeenAt: t + 3, idleExpiresAt: t + 60, expiresAt: t + 600, revokedAt: t + 9,
                levels: levels)
        }
        let (sessionOurs, sessionGRDB) = (session("ses-ours"), session("ses-grdb"))
        func flow(_ id: String) -> AuthorizationRequestRecord {
            var flow = AuthorizationRequestRecord(
                id: AuthorizationRequestID(rawValue: id), browserHash: "b", csrfHash: "c", clientId: ClientID(rawValue: "cli_x"),
                request: AuthorizeRequest(
                    clientID: ClientID(rawValue: "cli_x"), redirectURI: "https://rp.example/cb", scopes: ["openid"],
                    state: "s", nonce: "n", codeChallenge: nil, maxAge: 0, prompt: PromptSet([.login]), idTokenHint: nil,
                    loginHint: "a@example.com", acrValues: ["urn:x"], action: "billing", receivedAt: t),
                sessionId: SessionID(rawValue: "ses_x"), pinnedUserId: UserID(rawValue: "usr_x"), reason: .promptLogin,
                createdAt: t, expiresAt: t + 60, continuation: .accountSecurity(returnTo: "/account"))
            flow.completedAt = t + 1
            flow.approvalId = ApprovalID(rawValue: "apr_x")
            return flow
        }
        let (flowOurs, flowGRDB) = (flow("req-ours"), flow("req-grdb"))
        try await store.writer.writeWithoutTransaction { db in
            // Rows alone, with nothing behind them.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try SQLiteStore.insert(refreshOurs, db)
            try refreshGRDB.insert(db)
            try SQLiteStore.insert(accessOurs, db)
            try accessGRDB.insert(db)
            try SQLiteStore.insert(fullCodeOurs, db)
            try fullCodeGRDB.insert(db)
            try codeOurs.insert(db)
            try codeGRDB.insert(db)
            try SQLiteStore.insert(sessionOurs, db)
            try sessionGRDB.insert(db)
            try SQLiteStore.insert(flowOurs, db)
            try flowGRDB.insert(db)
            // Unused tokens and codes, then used, as a refresh and a code redemption use them.
            for (unused, ours) in [(unusedOurs, true), (unusedGRDB, false)] {
                var token = unused
                try token.insert(db)
                token.usedAt = t + 5
                if ours { try SQLiteStore.markRefreshTokenUsed(hash: token.tokenHash, at: t + 5, db) } else { try token.update(db) }
            }
            for (record, ours) in [(codeOurs, true), (codeGRDB, false)] {
                var used = record
                used.usedAt = t + 2
                used.grantId = grant
                if ours { try SQLiteStore.markCodeUsed(used, db) } else { try used.update(db) }
            }
        }
        let pairs = try await store.writer.read { db in
            [
                (try Self.row(db, "refresh_tokens", "token_hash", "r-ours"), try Self.row(db, "refresh_tokens", "token_hash", "r-grdb")),
                (try Self.row(db, "refresh_tokens", "token_hash", "u-ours"), try Self.row(db, "refresh_tokens", "token_hash", "u-grdb")),
                (try Self.row(db, "access_tokens", "jti", "at-ours"), try Self.row(db, "access_tokens", "jti", "at-grdb")),
                (try Self.row(db, "authorization_codes", "code_hash", "k-ours"), try Self.row(db, "authorization_codes", "code_hash", "k-grdb")),
                (try Self.row(db, "authorization_codes", "code_hash", "c-ours"), try Self.row(db, "authorization_codes", "code_hash", "c-grdb")),
                (try Self.row(db, "authorization_requests", "id", "req-ours"), try Self.row(db, "authorization_requests", "id", "req-grdb")),
                // Each session's secret hash is its own (the column is unique), so it is compared apart.
                (
                    try Self.row(db, "sessions", "id", "ses-ours").filter { $0.key != "secret_hash" },
                    try Self.row(db, "sessions", "id", "ses-grdb").filter { $0.key != "secret_hash" }
                ),
            ]
        }
        let secretHash = try await store.writer.read { db in
            try String.fetchOne(db, sql: "SELECT secret_hash FROM sessions WHERE id = 'ses-ours'")
        }
        #expect(secretHash == sessionOurs.secretHash)
        for (ours, grdbs) in pairs {
            #expect(!ours.isEmpty)
            #expect(ours == grdbs)
        }
    }

    /// Issue 13: the store appends audit rows with a kept statement of its own. The row must be the one GRDB's
    /// record insert writes, and it must publish the same events as ``AuditRecord/aroundInsert(_:insert:)``.
    @Test func anAppendedAuditRowIsTheRecordsRowWithTheSameEvents() async throws {
        let f = try await StoreFixture.make(.sqlite)
        defer { f.remove() }
        let store = try #require(f.store as? SQLiteStore)
        func audit(_ reason: String) -> AuditRecord {
            AuditRecord(
                at: f.now, event: .signIn, outcome: .success, userId: UserID(rawValue: "usr_x"),
                sessionId: SessionID(rawValue: "ses_x"), clientId: ClientID(rawValue: "cli_x"), method: .password,
                reason: reason, ipAddress: "192.0.2.1", userAgent: "UA", detail: ["flow": "sign_in", "acr": "1fa"],
                requestId: "req-1")
        }
        let (ours, grdbs) = (audit("ours"), audit("grdb"))
        try await store.writer.write { db in
            try SQLiteStore.append(ours, db)
            try grdbs.insert(db)
        }
        let (rows, events) = try await store.writer.read { db in
            (
                try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id").map { row in
                    Dictionary(uniqueKeysWithValues: row.filter { $0.0 != "id" && $0.0 != "reason" }.map { ($0.0, $0.1) })
                },
                try String.fetchAll(db, sql: "SELECT type FROM outbox_events ORDER BY seq")
            )
        }
        #expect(rows.count == 2)
        #expect(rows.first == rows.last)
        #expect(rows.first?["detail"] == #"{"acr":"1fa","flow":"sign_in"}"#.databaseValue)
        let published = WebhookEventDerivation.events(for: audit("any"), makeID: Outbox.newEventID).map(\.type.rawValue)
        #expect(!published.isEmpty)
        #expect(events == published + published)
    }

    /// A row's columns and values, without its key.
    private static func row(_ db: Database, _ table: String, _ key: String, _ value: String) throws -> [String: DatabaseValue] {
        var columns: [String: DatabaseValue] = [:]
        for (name, value) in try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE \(key) = ?", arguments: [value]) ?? [:]
        where name != key {
            columns[name] = value
        }
        return columns
    }

    /// A JSON column holding something else is an error, not a crash or a default.
    @Test func aMalformedJSONColumnThrows() throws {
        var row = try sessionRow()
        row["amr"] = "not json".databaseValue
        #expect(throws: (any Error).self) { try SessionRecord(row: Row(row)) }
    }

    @Test func aNullRequiredJSONColumnThrows() throws {
        var row = try sessionRow()
        row["levels"] = DatabaseValue.null
        #expect(throws: (any Error).self) { try SessionRecord(row: Row(row)) }
    }

    private func sessionRow() throws -> [String: DatabaseValue] {
        let session = SessionRecord(
            id: SessionID(rawValue: "ses_x"), secretHash: "s", userId: UserID(rawValue: "usr_x"),
            createdAt: UnixTime(1), authTime: UnixTime(1), amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: UnixTime(1)]), ipAddress: nil, userAgent: nil, deviceId: nil,
            lastSeenAt: UnixTime(1), idleExpiresAt: UnixTime(2), expiresAt: UnixTime(3))
        let values = try session.databaseDictionary
        #expect(try SessionRecord(row: Row(values)) == session)
        return values
    }
}

/// Session JSON columns are parsed once per distinct text (issue 13).
@Suite struct JSONColumnMemoTests {
    @Test func eachTextDecodesToItsOwnValue() throws {
        let memo = JSONColumnMemo<[AMR]>()

        let first = try memo.value(Data(#"["pwd"]"#.utf8))
        let second = try memo.value(Data(#"["pwd","otp","mfa"]"#.utf8))
        let again = try memo.value(Data(#"["pwd"]"#.utf8))

        #expect(first == [.pwd])
        #expect(second == [.pwd, .otp, .mfa])
        #expect(again == [.pwd])
        #expect(memo.count == 2)
    }

    @Test func aFullMemoStartsOver() throws {
        let memo = JSONColumnMemo<[Int]>(capacity: 3)
        for n in 0..<3 { _ = try memo.value(Data("[\(n)]".utf8)) }

        #expect(try memo.value(Data("[7]".utf8)) == [7])

        #expect(memo.count == 1)
    }

    @Test func malformedJSONIsAnErrorAndIsNotKept() {
        let memo = JSONColumnMemo<[AMR]>()

        #expect(throws: (any Error).self) { try memo.value(Data("nope".utf8)) }
        #expect(memo.count == 0)
    }
}
