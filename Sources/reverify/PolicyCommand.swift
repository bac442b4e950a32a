import ArgumentParser
import ReverifyServer

struct Policy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Risk policies (issue 11): check a policy file before a server uses it.", subcommands: [Check.self])

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
