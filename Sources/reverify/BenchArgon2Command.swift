import ArgumentParser
import Foundation
import ReverifyCrypto
import ReverifyServer

/// `reverify bench-argon2` (hidden): raw Argon2id verifications per second at the server's parameters on the
/// server's own hashing pool (one thread per core), for `scripts/bench` to compare sign-ins against (issue 13).
struct BenchArgon2: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-argon2", abstract: "Measure raw Argon2id verifications per second (for scripts/bench).",
        shouldDisplay: false)
    @Option(help: "Seconds to measure.") var seconds: Double = 5

    struct Figures: Encodable {
        let verifications_per_second: Double
        let verifications: Int
        let seconds: Double
        let threads: Int
        let memory_kib: UInt32
        let iterations: UInt32
        let parallelism: UInt32
    }

    func run() async throws {
        guard seconds > 0, seconds <= 600 else { throw CLIError("--seconds must be more than 0 and at most 600") }
        // The server's allocator settings too: they decide whether each verification page-faults its memory.
        MemoryTuning.applyServerSettings()
        let parameters = ServerConfiguration(issuer: "http://127.0.0.1", host: "127.0.0.1", port: 0).argon2
        let threads = PasswordHashingPool.threads
        let hasher = Argon2idHasher(parameters: parameters, threadPool: PasswordHashingPool.shared, backgroundPriority: true)
        let password = "correct horse battery staple"
        let phc = try await hasher.hash(password)
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(seconds * 1000))
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<threads {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < deadline {
                        guard await hasher.verify(password, against: phc) == .valid else {
                            throw CLIError("a verification of the right password failed")
                        }
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let figures = Figures(
            verifications_per_second: Double(count) / elapsedSeconds, verifications: count, seconds: elapsedSeconds,
            threads: threads, memory_kib: parameters.memoryKiB, iterations: parameters.iterations,
            parallelism: parameters.parallelism)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(figures), as: UTF8.self))
    }
}
