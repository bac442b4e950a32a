import Foundation
import ReverifyCore

/// Reads a risk policy file (`reverify serve --policy FILE`, `reverify policy check FILE`).
public enum RiskPolicyFile {
    /// The policy in `path`, or an error saying in one line why it cannot be used.
    public static func load(_ path: String) throws -> RiskPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RiskPolicyError("cannot read the policy file \(path)")
        }
        let policy: RiskPolicy
        do {
            policy = try JSONDecoder().decode(RiskPolicy.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw RiskPolicyError("\(path): missing \"\(key.stringValue)\"")
        } catch let DecodingError.dataCorrupted(context) {
            throw RiskPolicyError("\(path): \(context.debugDescription)")
        } catch {
            throw RiskPolicyError("\(path): not a risk policy (\(error))")
        }
        if let problem = policy.problem() { throw RiskPolicyError("\(path): \(problem)") }
        return policy
    }
}

/// A policy file that cannot be used; its description is one line.
public struct RiskPolicyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
