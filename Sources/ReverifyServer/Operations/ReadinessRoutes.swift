import Hummingbird
import ReverifyCore

/// `/readyz` (issue 15.5): 200 only when the database answers, its migrations are current and a signing
/// key is loaded; otherwise 503 with every reason. `/healthz` stays the liveness probe.
struct ReadinessRoutes {
    let services: Services

    struct Body: Encodable {
        let status: String
        let reasons: [String]
    }

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/readyz") { _, _ in
            let problems = Readiness.problems(await self.facts())
            return try ProtocolResponse.json(
                Body(status: problems.isEmpty ? "ready" : "not_ready", reasons: problems.map(\.description)),
                status: problems.isEmpty ? .ok : .serviceUnavailable)
        }
    }

    func facts() async -> ReadinessFacts {
        var facts = ReadinessFacts(databaseAnswered: false, pendingMigrations: [], unknownMigrations: [], signingKeyLoaded: false)
        if let schema = try? await services.store.schemaStatus() {
            facts.databaseAnswered = true
            facts.pendingMigrations = schema.pending
            facts.unknownMigrations = schema.unknown
        }
        facts.signingKeyLoaded = (try? await services.keys.current()) != nil
        return facts
    }
}
