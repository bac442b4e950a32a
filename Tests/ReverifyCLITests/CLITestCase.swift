import Foundation
import XCTest

/// Runs the built `reverify` binary against a temporary database, as an operator would.
/// Subclasses get a fresh folder per test and `reverify(_:)` to run commands.
class CLITestCase: XCTestCase {
    var directory: URL!
    var database: String { directory.appendingPathComponent("cli.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverify-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The binary sits next to the test bundle in the build folder (or at $REVERIFY_BIN).
    var binary: URL {
        if let path = ProcessInfo.processInfo.environment["REVERIFY_BIN"] { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverify").path) && dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverify")
    }

    @discardableResult
    func reverify(_ args: [String], stdin: String? = nil, database: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = args + ["--database", database ?? self.database]
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        // Wait for the termination handler rather than `waitUntilExit()`: swift-corelibs-foundation has had races
        // between `waitUntilExit()` returning and the exit status being recorded (#4589, #4740). A refused
        // `keys retire` once read as status 0 on a loaded machine and could not be reproduced otherwise.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        exited.wait()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
