@testable import ReverifyStore
import Testing

/// Issue 14 item 1: what `--database` / `REVERIFY_DATABASE` name.
@Suite struct StoreLocationTests {
    @Test func aPathOrSqliteURLKeepsSQLite() throws {
        #expect(try StoreLocation("./data/reverify.sqlite") == .sqlite(path: "./data/reverify.sqlite"))
        #expect(try StoreLocation("sqlite:/var/lib/reverify.db") == .sqlite(path: "/var/lib/reverify.db"))
        #expect(try StoreLocation("sqlite:///var/lib/reverify.db") == .sqlite(path: "/var/lib/reverify.db"))
    }

    @Test func aPostgresURLNamesServerDatabaseAndTLS() throws {
        let location = try StoreLocation("postgresql://app:s3cret@db.internal:6432/reverify?sslmode=verify-full")
        #expect(location == .postgres(PostgresLocation(
            host: "db.internal", port: 6432, username: "app", password: "s3cret", database: "reverify", sslMode: .verifyFull)))
    }

    @Test func theDefaultsAreLibpqs() throws {
        let location = try PostgresLocation(url: "postgres://app@db/reverify")
        #expect(location.port == 5432 && location.sslMode == .prefer && location.password == nil)
    }

    @Test func thePasswordMayComeFromTheEnvironmentButTheURLWins() throws {
        #expect(try PostgresLocation(url: "postgres://app@db/r", passwordFromEnvironment: "env").password == "env")
        #expect(try PostgresLocation(url: "postgres://app:url@db/r", passwordFromEnvironment: "env").password == "url")
    }

    @Test func messagesNeverShowThePassword() throws {
        let location = try StoreLocation("postgres://app:s3cret@db/reverify?sslmode=require")
        #expect(location.description == "postgres://app@db:5432/reverify?sslmode=require")
        #expect(!location.description.contains("s3cret"))
        do {
            _ = try StoreLocation("postgres://app:s3cret@db/reverify?sslmode=sometimes")
            Issue.record("expected a refusal")
        } catch {
            #expect(!String(describing: error).contains("s3cret"))
        }
    }

    @Test(arguments: [
        "postgres://db/reverify", "postgres://app@/reverify", "postgres://app@db", "postgres://app@db/r?sslmode=sometimes",
        "postgres://app@db/r?application_name=x", "mysql://app@db/r", "sqlite:",
    ])
    func malformedValuesAreRefused(_ value: String) {
        #expect(throws: StoreError.self) { try StoreLocation(value) }
    }

    @Test func theURLRoundTripsForAnotherProcess() throws {
        let location = try PostgresLocation(url: "postgres://app:p%40ss@db:6000/r?sslmode=disable")
        #expect(location.password == "p@ss")
        #expect(try PostgresLocation(url: location.urlString) == location)
    }
}
