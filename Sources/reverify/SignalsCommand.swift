import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyCrypto
import ReverifyStore

struct Signals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shared Signals transmitters allowed to push security events to /ssf/events (issue 11).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a transmitter by its issuer and keys.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The transmitter's issuer (the iss of its SETs), an https URL (http on loopback).") var issuer: String
        @Option(help: "Where it publishes its JWK Set.") var jwksUri: String?
        @Option(help: "A file with its JWK Set (public keys).") var jwksFile: String?

        func run() async throws {
            guard (jwksUri == nil) != (jwksFile == nil) else { throw CLIError("give exactly one of --jwks-uri and --jwks-file") }
            for url in [issuer] + (jwksUri.map { [$0] } ?? []) {
                if let problem = RedirectURIRules.problem(with: url) { throw CLIError("'\(url)' is not usable: \(problem)") }
            }
            var jwks: String?
            if let jwksFile {
                guard let text = try? String(contentsOfFile: jwksFile, encoding: .utf8) else { throw CLIError("cannot read --jwks-file \(jwksFile)") }
                if let problem = await ClientKeySet.problem(with: text) { throw CLIError("--jwks-file: \(problem)") }
                jwks = text
            }
            let store = try await database.openExisting()
            do {
                try await store.addSignalTransmitter(
                    SignalTransmitterRecord(issuer: issuer, jwks: jwks, jwksUri: jwksUri, createdAt: now()))
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
            print("added transmitter \(issuer)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List transmitters.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        struct View: Encodable {
            let issuer: String
            let jwks_uri: String?
            let has_jwks: Bool
        }

        func run() async throws {
            let views = try await database.openExisting().signalTransmitters().map {
                View(issuer: $0.issuer, jwks_uri: $0.jwksUri, has_jwks: $0.jwks != nil)
            }
            try output.print(json: views) { views.isEmpty ? "no transmitters" : views.map(\.issuer).joined(separator: "\n") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop accepting a transmitter's events.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The transmitter's issuer.") var issuer: String

        func run() async throws {
            do {
                try await database.openExisting().removeSignalTransmitter(issuer: issuer)
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
            print("removed transmitter \(issuer)")
        }
    }
}
