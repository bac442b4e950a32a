import ReverifyCore
import Testing

@Suite struct ReadinessTests {
    let healthy = ReadinessFacts(databaseAnswered: true, pendingMigrations: [], unknownMigrations: [], signingKeyLoaded: true)

    @Test func healthyFactsHaveNoProblems() {
        #expect(Readiness.problems(healthy).isEmpty)
    }

    @Test func unansweredDatabaseIsAProblem() {
        var facts = healthy
        facts.databaseAnswered = false
        #expect(Readiness.problems(facts) == [.databaseUnavailable])
    }

    @Test func pendingMigrationsAreAProblem() {
        var facts = healthy
        facts.pendingMigrations = ["0011_session_levels"]
        #expect(Readiness.problems(facts) == [.migrationsPending(["0011_session_levels"])])
    }

    @Test func migrationsUnknownToThisBinaryAreAProblem() {
        var facts = healthy
        facts.unknownMigrations = ["9999_future"]
        #expect(Readiness.problems(facts) == [.schemaNewerThanBinary(["9999_future"])])
    }

    @Test func missingSigningKeyIsAProblem() {
        var facts = healthy
        facts.signingKeyLoaded = false
        #expect(Readiness.problems(facts) == [.noSigningKey])
    }

    @Test func everyProblemIsListed() {
        let facts = ReadinessFacts(databaseAnswered: false, pendingMigrations: [], unknownMigrations: [], signingKeyLoaded: false)
        #expect(Readiness.problems(facts) == [.databaseUnavailable, .noSigningKey])
    }
}
