import ArgumentParser
import Foundation
import ReverifyCore
import ReverifyServer

struct Policy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Risk policies (issue 11): check a policy file before a server uses it.", subcommands: [Check.self, Default.self])

    struct Default: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the built-in policy as JSON: the starting point for a policy file.")

        func run() async throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(RiskPolicy.default), as: UTF8.self))
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a risk policy file.")
        @Argument(help: "The policy file (JSON).") var file: String

        func run() async throws {
            do {
                let policy = try RiskPolicyFile.load(file)
                print("\(file): valid (\(policy.clients.count) client and \(policy.actions.count) action overrides)")
            } catch let error as RiskPolicyError {
                throw CLIError(error.description)
            }
        }
    }
}
