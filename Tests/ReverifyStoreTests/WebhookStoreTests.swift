import Foundation
import GRDB
import ReverifyCore
import ReverifyCrypto
@testable import ReverifyStore
import Synchronization
import Testing

/// The audit-to-event mapping, written as a pure function.
@Suite struct WebhookEventDerivationTests {
    let at = UnixTime(1_795_000_000)

    func audit(_ event: AuditEvent, _ outcome: AuditOutcome, reason: String? = nil, detail: [String: String] = [:])
        -> AuditRecord
    {
        AuditRecord(
            at: at, event: event, outcome: outcome, userId: UserID(rawValue: "usr_1"), sessionId: SessionID(rawValue: "ses_1"),
            clientId: ClientID(rawValue: "cli_1"), method: .password, reason: reason, ipAddress: "203.0.113.7",
            userAgent: "Mozilla/5.0 (X11)", detail: detail)
    }

    var reauthDetail: [String: String] {
        [
            "auth_time": "1795000000", "previous_auth_time": "1794990000", "amr": "pwd", "acr": "urn:reverify:acr:1fa",
            "trigger_reason": "max_age", "trigger_max_age": "300", "trigger_action": "billing.change",
        ]
    }

    @Test func reauthenticationBodyIsExactlyTheDesignShape() throws {
        let events = WebhookEventDerivation.events(
            for: audit(.reauthentication, .success, reason: "max_age", detail: reauthDetail),
            makeID: { WebhookEventID(rawValue: "evt_1") })
        #expect(events.count == 1)
        let body = try JSONSerialization.jsonObject(with: JSONEncoder().encode(events[0])) as! NSDictionary
        let expected: NSDictionary = [
            "id": "evt_1", "type": "authentication.reauthenticated", "created_at": "2026-11-18T11:06:40Z",
            "data": [
                "user_id": "usr_1", "session_id": "ses_1", "client_id": "cli_1", "method": "password",
                "auth_time": 1_795_000_000, "previous_auth_time": 1_794_990_000, "amr": ["pwd"], "acr": "urn:reverify:acr:1fa",
                "trigger": [
                    "reason": "max_age", "max_age": 300, "action": "billing.change", "acr": NSNull(), "acr_sources": NSNull(),
                ] as NSDictionary,
                "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11)",
            ] as NSDictionary,
        ]
        #expect(body == expected)
    }

    @Test func aStepUpReportsTheLevelBeforeAndTheLevelRequiredWithItsRules() throws {
        var detail = reauthDetail
        detail["acr"] = "urn:reverify:acr:mfa"
        detail["acr_before"] = "urn:reverify:acr:1fa"
        detail["trigger_reason"] = "acr"
        detail["trigger_acr"] = "urn:reverify:acr:mfa"
        detail["trigger_acr_source"] = "client_floor action"
        let data = WebhookEventDerivation.events(for: audit(.reauthentication, .success, detail: detail), makeID: { .init(rawValue: "evt_1") })[0].data
        #expect(data.acr == .multiFactor)
        #expect(data.previousAcr == .singleFactor)
        #expect(data.trigger?.acr == .multiFactor)
        #expect(data.trigger?.acrSources == [.clientFloor, .action])
        let json = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        #expect(json.contains(#""previous_acr":"urn:reverify:acr:1fa""#))
        #expect(json.contains(#""acr_sources":["client_floor","action"]"#))
    }

    @Test func triggerWithoutMaxAgeOrActionHasNulls() throws {
        var detail = reauthDetail
        detail["trigger_max_age"] = nil
        detail["trigger_action"] = nil
        detail["trigger_reason"] = "prompt_login"
        detail["amr"] = "otp mfa"
        let event = WebhookEventDerivation.events(for: audit(.reauthentication, .success, detail: detail), makeID: { .init(rawValue: "evt_1") })[0]
        #expect(event.data.trigger == WebhookTrigger(reason: "prompt_login"))
        #expect(event.data.amr == [.otp, .mfa])
        let json = String(decoding: try JSONEncoder().encode(event.data.trigger), as: UTF8.self)
        #expect(json.contains(#""max_age":null"#) && json.contains(#""action":null"#))
    }

    @Test func mappingTable() {
        let cases: [(AuditEvent, AuditOutcome, [WebhookEventType])] = [
            (.signIn, .success, [.authenticationSucceeded, .sessionCreated]),
            (.reauthentication, .success, [.authenticationReauthenticated]),
            (.signIn, .failure, [.authenticationFailed]),
            (.reauthentication, .failure, [.authenticationFailed]),
            (.sessionRevoked, .success, [.sessionRevoked]),
            (.signOut, .success, [.sessionRevoked]),
            (.authorizeDecision, .info, []), (.codeReplay, .failure, []), (.refreshTokenReuse, .failure, []),
            (.accessDenied, .info, []), (.magicLinkSent, .success, [.magicAuthCreated]), (.magicLinkSent, .failure, []),
        ]
        for (event, outcome, types) in cases {
            #expect(WebhookEventDerivation.types(for: audit(event, outcome)) == types, "\(event) \(outcome)")
        }
    }

    @Test func failureNamingNoKnownUserPublishesNothing() {
        for event in [AuditEvent.signIn, .reauthentication] {
            var anonymous = audit(event, .failure, reason: "upstream_unknown_state")
            anonymous.userId = nil
            anonymous.sessionId = nil
            #expect(WebhookEventDerivation.types(for: anonymous).isEmpty, "\(event)")
            #expect(WebhookEventDerivation.types(for: audit(event, .failure)) == [.authenticationFailed], "\(event)")
        }
    }

    @Test func failureCarriesReasonAndFlowButNoFreshness() {
        let data = WebhookEventDerivation.data(for: audit(.reauthentication, .failure, reason: "wrong_password"))
        #expect(data.reason == "wrong_password")
        #expect(data.flow == "reauthentication")
        #expect(data.authTime == nil && data.trigger == nil)
        #expect(WebhookEventDerivation.data(for: audit(.signIn, .failure, reason: "unknown_user")).flow == "sign_in")
        #expect(WebhookEventDerivation.data(for: audit(.signOut, .success, reason: "rp_initiated_logout")).reason == "rp_initiated_logout")
        #expect(WebhookEventDerivation.data(for: audit(.signIn, .success, reason: "no_session")).reason == nil)
    }

    @Test func eachEventOfOneAuditRowHasItsOwnID() {
        var n = 0
        let events = WebhookEventDerivation.events(for: audit(.signIn, .success, detail: reauthDetail)) {
            n += 1
            return WebhookEventID(rawValue: "evt_\(n)")
        }
        #expect(events.map(\.id.rawValue) == ["evt_1", "evt_2"])
        #expect(events[0].data == events[1].data)
    }
}

/// The store under test and the webhook set-up its tests share.
struct WebhookHarness: Sendable {
    let fixture: StoreFixture
    var store: any Store { fixture.store }

    @discardableResult
    func endpoint(_ types: [WebhookEventType]? = nil, url: String = "https://hooks.example/in") async throws -> WebhookEndpointRecord {
        let endpoint = WebhookEndpointRecord(
            id: WebhookEndpointID(rawValue: IdentifierGenerator.make(prefix: "whe")), url: url, eventTypes: types,
            allowPrivate: false, secret: WebhookSecret.generate().encoded, createdAt: fixture.now)
        try await store.createWebhookEndpoint(endpoint)
        return endpoint
    }

    func testEvent(_ endpoint: WebhookEndpointRecord, via store: (any Store)? = nil) async throws -> WebhookEventID {
        let id = WebhookEventID(rawValue: IdentifierGenerator.make(prefix: "evt"))
        try await (store ?? self.store).enqueueWebhookEvent(
            WebhookEvent(id: id, type: .test, createdAt: fixture.now, data: WebhookEventData(endpointId: endpoint.id)),
            to: endpoint.id)
        return id
    }

    /// The rows `sql` selects, decoded as `Record` (by column name), the same on both backends.
    func records<Record: FetchableRecord>(_ type: Record.Type, _ sql: String) async throws -> [Record] {
        try await fixture.rows(sql).map { row in
            try Record(row: Row(Dictionary(uniqueKeysWithValues: zip(row.columns, row.values.map { $0 as (any DatabaseValueConvertible)? }))))
        }
    }

    func outbox() async throws -> [OutboxEventRecord] {
        try await records(OutboxEventRecord.self, "SELECT * FROM outbox_events ORDER BY seq")
    }

    func deliveries() async throws -> [WebhookDeliveryRecord] {
        try await records(WebhookDeliveryRecord.self, "SELECT * FROM webhook_deliveries ORDER BY event_seq, id")
    }

    func claim(
        _ owner: String = "w1", at now: UnixMilliseconds = .wallClock(), lease: Duration = .seconds(30), per: Int = 50,
        endpoints: Int = 8, excluding: Set<WebhookEndpointID> = []
    ) async throws -> [WebhookClaim] {
        try await store.claimWebhookDeliveries(
            WebhookClaimRequest(
                owner: owner, now: now, leaseUntil: now + lease, maximumEndpoints: endpoints, deliveriesPerEndpoint: per,
                excludingEndpoints: excluding))
    }

    func report(_ item: ClaimedDelivery, _ decision: DeliveryDecision, owner: String = "w1", status: Int? = 200) -> WebhookAttemptReport {
        let now = UnixMilliseconds.wallClock()
        return WebhookAttemptReport(
            deliveryId: item.delivery.id!, endpointId: item.delivery.endpointId, owner: owner, attempt: item.attempt,
            startedAt: now, finishedAt: now + .milliseconds(12), httpStatus: status, error: status == 200 ? nil : "HTTP \(status ?? 0)",
            decision: decision, renewLeaseUntil: now + .seconds(30))
    }
}

/// Webhook endpoints, the outbox and the delivery worker's leases, on every backend (issue 14 item 4).
@Suite struct WebhookStoreTests {
    // MARK: Events come from audit rows, in the same transaction

    @Test(arguments: Backend.all) func sessionChangesWriteTheirEvents(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let user = try await fixture.user()
        let session = try await fixture.session(for: user)
        #expect(try await hooks.outbox().map(\.type) == [.authenticationSucceeded, .sessionCreated])

        try await store.recordReauthentication(
            session: session.id, newSecretHash: "rotated", authTime: fixture.now + 100, amr: [.pwd], acr: .singleFactor,
            verifications: VerificationHistory([.password: fixture.now + 100]), levels: LevelHistory(),
            audit: AuditRecord(
                at: fixture.now + 100, event: .reauthentication, outcome: .success, userId: user.id, sessionId: session.id,
                method: .password, detail: ["auth_time": "\(fixture.now.rawValue + 100)", "previous_auth_time": "\(fixture.now.rawValue)"]))
        try await store.appendAudit(AuditRecord(at: fixture.now, event: .authorizeDecision, outcome: .info, userId: user.id))
        _ = try await store.revokeSession(
            id: session.id, at: fixture.now + 200,
            audit: AuditRecord(at: fixture.now + 200, event: .sessionRevoked, outcome: .success, userId: user.id, sessionId: session.id))
        let events = try await hooks.outbox()
        #expect(events.map(\.type) == [.authenticationSucceeded, .sessionCreated, .authenticationReauthenticated, .sessionRevoked])
        #expect(Set(events.map(\.id)).count == 4)
        let body = try JSONSerialization.jsonObject(with: Data(events[2].payload.utf8)) as! [String: Any]
        #expect(body["id"] as? String == events[2].id.rawValue)
        let data = body["data"] as! [String: Any]
        #expect(data["previous_auth_time"] as? Int == Int(fixture.now.rawValue))
        #expect(data["session_id"] as? String == session.id.rawValue)
    }

    @Test(arguments: Backend.all) func aRolledBackChangeLeavesNoEvent(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        struct Abort: Error {}
        let user = try await fixture.user()
        let audit = AuditRecord(at: fixture.now, event: .signIn, outcome: .failure, userId: user.id)
        await #expect(throws: Abort.self) {
            switch store {
            case let store as SQLiteStore:
                _ = try await store.writer.write { db in
                    try audit.insert(db)
                    throw Abort()
                }
            case let store as PostgresStore:
                _ = try await store.database.write { tx in
                    try await tx.insert(audit)
                    throw Abort()
                }
            default: Issue.record("unknown store")
            }
        }
        #expect(try await hooks.outbox().isEmpty)
        // A change that fails before its audit row (session already revoked) writes nothing either.
        let session = try await fixture.session(for: user)
        _ = try await store.revokeSession(
            id: session.id, at: fixture.now, audit: AuditRecord(at: fixture.now, event: .sessionRevoked, outcome: .success))
        let before = try await hooks.outbox().count
        #expect(
            try await store.revokeSession(
                id: session.id, at: fixture.now, audit: AuditRecord(at: fixture.now, event: .sessionRevoked, outcome: .success)) == false)
        #expect(try await hooks.outbox().count == before)
    }

    @Test(arguments: Backend.all) func fanOutFollowsSubscriptionsAndSkipsDisabledEndpoints(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let all = try await hooks.endpoint()
        let reauthOnly = try await hooks.endpoint([.authenticationReauthenticated])
        let failedOnly = try await hooks.endpoint([.authenticationFailed])
        try await fixture.execute("UPDATE webhook_endpoints SET disabled_at = 1 WHERE id = ?", [failedOnly.id.rawValue])
        let user = try await fixture.user()
        _ = try await fixture.session(for: user)
        try await store.appendAudit(AuditRecord(at: fixture.now, event: .reauthentication, outcome: .failure, userId: user.id))
        try await store.appendAudit(
            AuditRecord(at: fixture.now, event: .reauthentication, outcome: .success, userId: user.id, detail: ["auth_time": "1"]))
        let byEndpoint = Dictionary(grouping: try await hooks.deliveries(), by: \.endpointId)
        #expect(byEndpoint[all.id]?.count == 4)
        #expect(byEndpoint[reauthOnly.id]?.count == 1)
        #expect(byEndpoint[failedOnly.id] == nil)
        _ = try await hooks.testEvent(reauthOnly)
        #expect(try await hooks.deliveries().filter { $0.endpointId == all.id }.count == 4, "test events go to one endpoint only")
    }

    // MARK: Claiming with leases

    @Test(arguments: Backend.all) func claimsComeInEventOrderPerEndpoint(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let target = try await hooks.endpoint()
        var ids: [WebhookEventID] = []
        for _ in 0..<5 { ids.append(try await hooks.testEvent(target)) }
        let claims = try await hooks.claim(per: 3)
        #expect(claims.count == 1)
        #expect(claims[0].deliveries.map(\.event.id) == Array(ids.prefix(3)))
        #expect(claims[0].deliveries.allSatisfy { $0.delivery.status == .delivering && $0.delivery.leaseOwner == "w1" })
        #expect(try await hooks.claim("w2").isEmpty, "an endpoint with a live lease is left alone")
    }

    @Test(arguments: Backend.all) func anExpiredLeaseIsClaimedAgainAfterACrash(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let target = try await hooks.endpoint()
        _ = try await hooks.testEvent(target)
        let now = UnixMilliseconds.wallClock()
        let first = try await hooks.claim("crashed", at: now, lease: .seconds(20))
        #expect(first.count == 1)
        #expect(try await hooks.claim("w2", at: now + .seconds(19)).isEmpty)
        let again = try await hooks.claim("w2", at: now + .seconds(21))
        #expect(again.first?.deliveries.map(\.delivery.id) == first.first?.deliveries.map(\.delivery.id))
        #expect(again.first?.deliveries.first?.event.id == first.first?.deliveries.first?.event.id, "same webhook-id")
    }

    @Test(arguments: Backend.all) func anExpiredLeaseAndPendingDeliveriesAreClaimedTogetherInEventOrder(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let target = try await hooks.endpoint()
        let first = [try await hooks.testEvent(target), try await hooks.testEvent(target)]
        let now = UnixMilliseconds.wallClock()
        #expect(try await hooks.claim("crashed", at: now, lease: .seconds(20), per: 2).first?.deliveries.count == 2)
        let later = [try await hooks.testEvent(target), try await hooks.testEvent(target)]

        let claim = try await hooks.claim("w2", at: now + .seconds(21), per: 3)

        #expect(claim.first?.deliveries.map(\.event.id) == first + [later[0]])
        #expect(claim.first?.deliveries.allSatisfy { $0.delivery.leaseOwner == "w2" } == true)
    }

    @Test(arguments: Backend.all) func endpointsWithTheOldestDueDeliveryAreClaimedFirstAndExcludedOnesSkipped(
        _ backend: Backend
    ) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let (a, b, c) = (try await hooks.endpoint(), try await hooks.endpoint(), try await hooks.endpoint())
        _ = try await hooks.testEvent(b)
        _ = try await hooks.testEvent(c)
        _ = try await hooks.testEvent(a)

        let two = try await hooks.claim("w1", per: 5, endpoints: 2)
        let skipping = try await hooks.claim("w2", per: 5, endpoints: 2, excluding: [a.id])

        #expect(two.map(\.endpoint.id) == [b.id, c.id])
        #expect(skipping.isEmpty, "b and c are leased, and a is excluded")
    }

    @Test(arguments: Backend.all) func aBacklogIsClaimedBatchByBatchInEventOrder(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let target = try await hooks.endpoint()
        var ids: [WebhookEventID] = []
        for _ in 0..<30 { ids.append(try await hooks.testEvent(target)) }

        var batches: [[WebhookEventID]] = []
        while let batch = try await hooks.claim(per: 8).first?.deliveries {
            for item in batch { try await fixture.store.recordWebhookAttempt(hooks.report(item, .delivered)) }
            batches.append(batch.map(\.event.id))
        }

        #expect(batches.map(\.count) == [8, 8, 8, 6])
        #expect(batches.flatMap { $0 } == ids)
    }

    /// Issue 13: a claim behind a backlog reads the endpoint's index in event order and stops at its batch. Had
    /// SQLite picked `webhook_deliveries_due` (which it prefers without the hint), it would sort every due row.
    @Test func sqliteClaimsWalkTheEndpointIndexInEventOrder() async throws {
        let fixture = try await StoreFixture.make(.sqlite)
        defer { fixture.remove() }
        let plans = try await fixture.sqliteStore.writer.read { db in
            try [SQLiteStore.readyEndpointsSQL, SQLiteStore.dueDeliveriesSQL].map { sql in
                try String.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: ["now": 1_795_000_000_000, "endpoint": "whe_1", "limit": 50], adapter: SuffixRowAdapter(fromIndex: 3))
            }
        }
        for plan in plans {
            let deliveryLookups = plan.filter { $0.contains("webhook_deliveries") }
            #expect(deliveryLookups.count >= 2)
            #expect(deliveryLookups.allSatisfy { $0.contains("INDEX webhook_deliveries_endpoint_due") }, "\(plan)")
        }
        #expect(!plans[0].contains { $0.contains("TEMP B-TREE") }, "\(plans[0])")
        #expect(plans[1].filter { $0.contains("TEMP B-TREE") }.count == 2, "only the merge of the two batches is sorted: \(plans[1])")
    }

    @Test(arguments: Backend.all) func twoProcessesOnOneDatabaseNeverClaimTheSameDelivery(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        // A second store on the same database is what a second `reverify serve` process is.
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        var endpoints: [WebhookEndpointRecord] = []
        for _ in 0..<4 { endpoints.append(try await hooks.endpoint()) }
        var expected = Set<WebhookEventID>()
        for i in 0..<200 { expected.insert(try await hooks.testEvent(endpoints[i % 4])) }

        actor Ledger {
            var holders: [WebhookEndpointID: String] = [:]
            var claimed: [String: [WebhookEventID]] = [:]
            var overlaps: [String] = []
            func take(_ claim: WebhookClaim, by owner: String) {
                if let holder = holders[claim.endpoint.id] { overlaps.append("\(claim.endpoint.id) held by \(holder) and \(owner)") }
                holders[claim.endpoint.id] = owner
                claimed[owner, default: []] += claim.deliveries.map(\.event.id)
            }
            func give(_ endpoint: WebhookEndpointID) { holders[endpoint] = nil }
        }
        let ledger = Ledger()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (owner, s) in [("w1", store), ("w2", other)] {
                group.addTask {
                    var idle = 0
                    while idle < 20 {
                        let now = UnixMilliseconds.wallClock()
                        let claims = try await s.claimWebhookDeliveries(
                            WebhookClaimRequest(
                                owner: owner, now: now, leaseUntil: now + .seconds(60), maximumEndpoints: 2, deliveriesPerEndpoint: 7))
                        if claims.isEmpty {
                            idle += 1
                            try await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        idle = 0
                        for claim in claims { await ledger.take(claim, by: owner) }
                        for claim in claims {
                            // Let go in the ledger first: the lease stays live until the last row is recorded.
                            await ledger.give(claim.endpoint.id)
                            for item in claim.deliveries {
                                let t = UnixMilliseconds.wallClock()
                                try await s.recordWebhookAttempt(
                                    WebhookAttemptReport(
                                        deliveryId: item.delivery.id!, endpointId: claim.endpoint.id, owner: owner,
                                        attempt: item.attempt, startedAt: t, finishedAt: t, httpStatus: 200, error: nil,
                                        decision: .delivered, renewLeaseUntil: t + .seconds(60)))
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let claimed = await ledger.claimed
        let w1 = claimed["w1"] ?? [], w2 = claimed["w2"] ?? []
        #expect(await ledger.overlaps.isEmpty)
        #expect(Set(w1).isDisjoint(with: Set(w2)))
        #expect(w1.count + w2.count == 200, "each delivery claimed exactly once")
        #expect(Set(w1 + w2) == expected)
        #expect(try await hooks.deliveries().allSatisfy { $0.status == .delivered && $0.attempts == 1 })
    }

    @Test(arguments: Backend.all) func claimsMadeAtTheSameMomentByTwoInstancesNeverShareAnEndpoint(_ backend: Backend)
        async throws
    {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        var endpoints: [WebhookEndpointRecord] = []
        for _ in 0..<6 { endpoints.append(try await hooks.endpoint()) }
        for i in 0..<60 { _ = try await hooks.testEvent(endpoints[i % 6]) }
        // Each round starts after every lease of the round before has expired, so the whole queue is due again
        // and eight workers, four per instance, race for it with the same clock.
        let start = UnixMilliseconds.wallClock()
        for round in 0..<10 {
            let now = start + .seconds(10 * round)
            let claims = try await withThrowingTaskGroup(of: [WebhookClaim].self) { group in
                for worker in 0..<8 {
                    let store = worker % 2 == 0 ? fixture.store : other
                    group.addTask {
                        try await store.claimWebhookDeliveries(
                            WebhookClaimRequest(
                                owner: "r\(round)w\(worker)", now: now, leaseUntil: now + .seconds(5), maximumEndpoints: 2,
                                deliveriesPerEndpoint: 4))
                    }
                }
                return try await group.reduce(into: [WebhookClaim]()) { $0 += $1 }
            }
            let claimedEndpoints = claims.map(\.endpoint.id)
            #expect(Set(claimedEndpoints).count == claimedEndpoints.count, "round \(round): an endpoint claimed twice")
            let claimedDeliveries = claims.flatMap { $0.deliveries.map { $0.delivery.id } }
            #expect(Set(claimedDeliveries).count == claimedDeliveries.count, "round \(round): a delivery claimed twice")
            #expect(!claims.isEmpty, "round \(round): somebody gets the queue")
            for claim in claims {
                // The endpoint's oldest deliveries, in event order.
                #expect(claim.deliveries.map(\.delivery.eventSeq) == claim.deliveries.map(\.delivery.eventSeq).sorted())
            }
            // What the claims say is what the database holds: each claimed row leased to its claimant.
            let leased = Dictionary(
                uniqueKeysWithValues: try await fixture.rows(
                    "SELECT id, lease_owner FROM webhook_deliveries WHERE status = 'delivering' AND lease_expires_at_ms > ?", [now]
                ).map { (Int64.fromDatabaseValue($0["id"])!, String.fromDatabaseValue($0["lease_owner"])!) })
            var expected: [Int64: String] = [:]
            for claim in claims {
                for item in claim.deliveries { expected[item.delivery.id!] = item.delivery.leaseOwner }
            }
            #expect(leased == expected, "round \(round)")
        }
    }

    // MARK: Attempts and their consequences

    @Test(arguments: Backend.all) func attemptsAreRecordedAndMoveTheDeliveryOn(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        let first = try await hooks.testEvent(target)
        let second = try await hooks.testEvent(target)
        var item = try #require(try await hooks.claim(per: 1).first?.deliveries.first)
        let retryAt = UnixMilliseconds.wallClock() + .seconds(60)
        try await store.recordWebhookAttempt(hooks.report(item, .retry(at: retryAt, pauseEndpointUntil: nil), status: 500))
        var details = try await store.webhookDeliveries(endpoint: target.id, event: first, limit: 10)
        #expect(details.first?.delivery.status == .pending)
        #expect(details.first?.delivery.attempts == 1)
        #expect(details.first?.delivery.nextAttemptAtMs == retryAt)
        #expect(details.first?.delivery.lastStatus == 500)
        #expect(details.first?.attempts.map(\.httpStatus) == [500])
        #expect(details.first?.attempts.first?.latencyMs == 12)
        #expect(details.first?.eventType == .test)

        // The failed one is not due yet; the next event is not held back behind it.
        item = try #require(try await hooks.claim().first?.deliveries.first)
        #expect(item.event.id == second)
        try await store.recordWebhookAttempt(hooks.report(item, .delivered))
        details = try await store.webhookDeliveries(endpoint: target.id, event: second, limit: 10)
        #expect(details.first?.delivery.status == .delivered)
        #expect(details.first?.delivery.deliveredAtMs != nil)

        // Due again later: attempt 2, then dead.
        item = try #require(try await hooks.claim(at: retryAt + .seconds(1)).first?.deliveries.first)
        #expect(item.attempt == 2)
        try await store.recordWebhookAttempt(hooks.report(item, .dead, status: 500))
        #expect(try await store.webhookDeliveries(endpoint: nil, event: first, limit: 1).first?.delivery.status == .dead)
        #expect(try await hooks.claim(at: retryAt + .seconds(3600)).isEmpty, "dead deliveries are not retried")
    }

    @Test(arguments: Backend.all) func goneDisablesTheEndpointAndDeadLettersItsQueue(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        for _ in 0..<3 { _ = try await hooks.testEvent(target) }
        let items = try #require(try await hooks.claim(per: 1).first?.deliveries)
        try await store.recordWebhookAttempt(hooks.report(items[0], .disableEndpoint, status: 410))
        let endpoint = try #require(try await store.webhookEndpoint(id: target.id))
        #expect(!endpoint.isEnabled)
        #expect(endpoint.disabledReason?.contains("410") == true)
        #expect(try await hooks.deliveries().allSatisfy { $0.status == .dead })
        #expect(try await hooks.claim().isEmpty)
        let user = try await fixture.user()
        _ = try await fixture.session(for: user)
        #expect(try await hooks.deliveries().count == 3, "a disabled endpoint receives no new events")
        await #expect(throws: StoreError.self) { _ = try await hooks.testEvent(target) }
        try await store.enableWebhookEndpoint(id: target.id)
        #expect(try await store.webhookEndpoint(id: target.id)?.isEnabled == true)
    }

    @Test(arguments: Backend.all) func throttlingPausesTheWholeEndpoint(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        for _ in 0..<2 { _ = try await hooks.testEvent(target) }
        let now = UnixMilliseconds.wallClock()
        let items = try #require(try await hooks.claim(at: now).first?.deliveries)
        try await store.recordWebhookAttempt(hooks.report(items[0], .retry(at: now + .seconds(30), pauseEndpointUntil: now + .seconds(10)), status: 429))
        try await store.releaseWebhookDeliveries(endpoint: target.id, owner: "w1")
        #expect(try await hooks.claim(at: now + .seconds(9)).isEmpty, "paused")
        #expect(try await hooks.claim(at: now + .seconds(11)).first?.deliveries.count == 1, "the other delivery goes on after the pause")
    }

    @Test(arguments: Backend.all) func aWorkerWhoseLeaseWasTakenOverCannotOverwriteTheNewOwner(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        _ = try await hooks.testEvent(target)
        let now = UnixMilliseconds.wallClock()
        let stale = try #require(try await hooks.claim("slow", at: now, lease: .seconds(1)).first?.deliveries.first)
        let fresh = try #require(try await hooks.claim("w2", at: now + .seconds(2)).first?.deliveries.first)
        try await store.recordWebhookAttempt(hooks.report(stale, .dead, owner: "slow", status: 500))
        let row = try #require(try await hooks.deliveries().first)
        #expect(row.status == .delivering && row.leaseOwner == "w2")
        try await store.recordWebhookAttempt(hooks.report(fresh, .delivered, owner: "w2"))
        let details = try #require(try await store.webhookDeliveries(endpoint: target.id, event: nil, limit: 1).first)
        #expect(details.delivery.status == .delivered)
        #expect(details.attempts.count == 2, "both attempts are on record")
    }

    @Test(arguments: Backend.all) func replayRevivesADeadDeliveryWithTheSameEvent(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        let event = try await hooks.testEvent(target)
        let item = try #require(try await hooks.claim().first?.deliveries.first)
        try await store.recordWebhookAttempt(hooks.report(item, .dead, status: 500))
        #expect(try await hooks.claim().isEmpty)
        #expect(try await store.replayWebhookEvent(event, endpoint: nil, at: .wallClock()) == [target.id])
        let again = try #require(try await hooks.claim().first?.deliveries.first)
        #expect(again.event == item.event, "same id and body")
        #expect(again.attempt == 1)
        await #expect(throws: StoreError.self) {
            _ = try await store.replayWebhookEvent(WebhookEventID(rawValue: "evt_nope"), endpoint: nil, at: .wallClock())
        }
        await #expect(throws: StoreError.self, "in flight") {
            _ = try await store.replayWebhookEvent(event, endpoint: target.id, at: .wallClock())
        }
        // Replaying to an endpoint that never had it creates the delivery.
        let other = try await hooks.endpoint([.sessionRevoked])
        #expect(try await store.replayWebhookEvent(event, endpoint: other.id, at: .wallClock()) == [other.id])
        #expect(try await hooks.deliveries().filter { $0.endpointId == other.id }.count == 1)
    }

    @Test(arguments: Backend.all) func rotationKeepsThePreviousSecretSigningDuringTheGracePeriod(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        let next = WebhookSecret.generate().encoded
        try await store.rotateWebhookSecret(id: target.id, newSecret: next, previousValidUntil: fixture.now + .hours(24))
        let rotated = try #require(try await store.webhookEndpoint(id: target.id))
        #expect(rotated.signingSecrets(at: fixture.now) == [next, target.secret])
        #expect(rotated.signingSecrets(at: fixture.now + .hours(24)) == [next])
        #expect(!"\(rotated)".contains(next) && !"\(rotated)".contains(target.secret), "descriptions redact secrets")
    }

    @Test(arguments: Backend.all) func removingAnEndpointRemovesItsDeliveries(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        _ = try await hooks.testEvent(target)
        try await store.deleteWebhookEndpoint(id: target.id)
        #expect(try await hooks.deliveries().isEmpty)
        #expect(try await hooks.outbox().count == 1, "events stay for other endpoints and replays")
        await #expect(throws: StoreError.self) { try await store.deleteWebhookEndpoint(id: target.id) }
    }

    @Test(arguments: Backend.all) func newEventsWakeTheWorker(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        let notifications = store.webhookEventNotifications()
        _ = try await hooks.testEvent(target)
        #expect(await Self.wake(notifications, within: .seconds(5)))
    }

    @Test(arguments: Backend.all) func eventsCommittedByAnotherProcessWakeTheWorkerWithinMilliseconds(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        // A second store on the same database is what the CLI is; this store's own observation cannot see it.
        let other = try await fixture.reopen()
        defer { (other as? PostgresStore)?.close() }
        let target = try await hooks.endpoint()
        let notifications = store.webhookEventNotifications()
        // PostgreSQL's listener wakes the worker once when its LISTEN is in place (a look for anything it missed);
        // let that pass, so the wake below can only come from the other process's commit. (SQLite's watcher has no
        // such wake, and a wait that times out would end the stream.)
        if backend == .postgres { #expect(await Self.wake(notifications, within: .seconds(2))) }
        try await other.enqueueWebhookEvent(
            WebhookEvent(
                id: WebhookEventID(rawValue: IdentifierGenerator.make(prefix: "evt")), type: .test, createdAt: fixture.now,
                data: WebhookEventData(endpointId: target.id)),
            to: target.id)
        let committed = ContinuousClock.now
        let woke = await Self.wake(notifications, within: .seconds(2))
        #expect(woke)
        // The watcher looks every 20 ms when idle; a second leaves room for a loaded test machine.
        #expect(ContinuousClock.now - committed < .seconds(1))
    }

    @Test(arguments: Backend.all) func thisProcesssOwnEventWakesTheWorkerOnceNotTwice(_ backend: Backend) async throws {
        let fixture = try await StoreFixture.make(backend)
        defer { fixture.remove() }
        let hooks = WebhookHarness(fixture: fixture)
        let store = fixture.store
        let target = try await hooks.endpoint()
        let notifications = store.webhookEventNotifications()
        // PostgreSQL's listener wakes once when its LISTEN is in place (see above).
        if backend == .postgres { #expect(await Self.wake(notifications, within: .seconds(2))) }
        // Counted as they come: the stream keeps only the newest wake, so two unread ones would look like one.
        let wakes = Mutex(0)
        let counting = Task {
            for await _ in notifications { wakes.withLock { $0 += 1 } }
        }
        try await Task.sleep(for: .milliseconds(100))
        _ = try await hooks.testEvent(target)
        // SQLite's commit watcher also sees this commit (data_version changes for any connection's commit) and
        // looks every 20 ms; it must know the row is this process's own and stay quiet.
        try await Task.sleep(for: .milliseconds(500))
        counting.cancel()
        #expect(wakes.withLock { $0 } == 1, "a second wake means a second claim pass")
    }

    /// Whether `notifications` yields within `limit`.
    static func wake(_ notifications: AsyncStream<Void>, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in notifications { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
