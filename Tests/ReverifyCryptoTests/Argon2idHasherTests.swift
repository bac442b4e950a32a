import CArgon2
import NIOPosix
@testable import ReverifyCrypto
import XCTest

final class Argon2idHasherTests: XCTestCase {
    /// Small parameters keep the unit tests quick; the OWASP default is checked separately.
    let hasher = Argon2idHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))

    func testHashIsAnArgon2idPHCString() async throws {
        let phc = try await hasher.hash("correct horse battery staple")
        XCTAssertTrue(phc.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"), phc)
        XCTAssertEqual(phc.split(separator: "$").count, 5)
    }

    #if os(Linux)
    /// Issue 13: a password flood must only take CPU that request handling leaves. Nice values did not give that
    /// (a woken request thread waited out the hashing thread's slice); `SCHED_IDLE` does.
    func testBackgroundHashingThreadsRunUnderSchedIdle() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let background = Argon2idHasher(parameters: hasher.parameters, threadPool: pool, backgroundPriority: true)

        _ = try await background.hash("correct horse battery staple")

        let policy = try await pool.runIfActive { sched_getscheduler(0) }
        try await pool.shutdownGracefully()
        XCTAssertEqual(policy, Argon2idHasher.schedIdle)
    }

    func testHashingOnASharedPoolLeavesItsThreadsAlone() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let foreground = Argon2idHasher(parameters: hasher.parameters, threadPool: pool)

        _ = try await foreground.hash("correct horse battery staple")

        let policy = try await pool.runIfActive { sched_getscheduler(0) }
        try await pool.shutdownGracefully()
        XCTAssertEqual(policy, SCHED_OTHER)
    }
    #endif

    func testDefaultParametersMeetOWASPMinimum() {
        let p = Argon2Parameters.owaspMinimum
        XCTAssertGreaterThanOrEqual(p.memoryKiB, 19_456)
        XCTAssertGreaterThanOrEqual(p.iterations, 2)
        XCTAssertEqual(p.parallelism, 1)
    }

    func testCorrectPasswordVerifies() async throws {
        let phc = try await hasher.hash("correct horse battery staple")
        let result = await hasher.verify("correct horse battery staple", against: phc)
        XCTAssertEqual(result, .valid)
    }

    func testWrongPasswordDoesNotVerify() async throws {
        let phc = try await hasher.hash("correct horse battery staple")
        let result = await hasher.verify("correct horse battery stapler", against: phc)
        XCTAssertEqual(result, .invalid)
    }

    func testSaltMakesEveryHashDifferent() async throws {
        let a = try await hasher.hash("same password")
        let b = try await hasher.hash("same password")
        XCTAssertNotEqual(a, b)
    }

    func testChangedParametersAskForARehash() async throws {
        let old = try await hasher.hash("correct horse battery staple")
        let stronger = Argon2idHasher(parameters: Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1))
        let result = await stronger.verify("correct horse battery staple", against: old)
        XCTAssertEqual(result, .validNeedsRehash)
    }

    func testHashWrittenByArgon2CFFIVerifies() async {
        // Written by Python argon2-cffi 25.1 (PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)).
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$UtbtBzSjrfdn5FYG55XWvQ$zX1feQJqiMY1xhS/TOeSpL7rLgpgSU90qVWrajto2N0"
        let result = await Argon2idHasher().verify("correct horse battery staple", against: phc)
        XCTAssertEqual(result, .valid)
        let wrong = await Argon2idHasher().verify("correct horse battery stapler", against: phc)
        XCTAssertEqual(wrong, .invalid)
    }

    func testForeignParametersVerifyAndAskForRehash() async {
        let phc = "$argon2id$v=19$m=8192,t=1,p=2$bn4Qfhc+wCa86SNQRmoR8Q$FLNi/pJ5TJq9TG5/ZCYj8u9m6l2DtEz/33RN7J9VdAM"
        let result = await Argon2idHasher().verify("correct horse battery staple", against: phc)
        XCTAssertEqual(result, .validNeedsRehash)
    }

    func testMalformedHashNeverVerifies() async {
        for bad in ["", "plaintext", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$2b$12$bcrypt"] {
            let result = await hasher.verify("anything", against: bad)
            XCTAssertEqual(result, .invalid, bad)
        }
    }

    func testEmptyPasswordIsRefused() async {
        do {
            _ = try await hasher.hash("")
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual("\(error)", "the password is empty")
        }
    }

    func testParametersAreReadBackFromPHC() {
        XCTAssertEqual(
            Argon2idHasher.parameters(of: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            Argon2Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1))
        XCTAssertNil(Argon2idHasher.parameters(of: "$argon2id$v=19$m=x$c2FsdA$aGFzaA"))
    }
}

/// Hashing and verifying through libargon2 contexts (issue 13: working memory from ``Argon2Memory``) give
/// exactly what libargon2's own string functions give.
final class Argon2ContextTests: XCTestCase {
    let password = "correct horse battery staple"

    func testOurPHCStringsAreLibargon2s() throws {
        let salt = Array("somesaltsomesalt".utf8)
        var encoded = [CChar](repeating: 0, count: 128)
        let status = argon2id_hash_encoded(1, 1024, 1, Array(password.utf8), password.utf8.count, salt, salt.count, 32, &encoded, 128)
        XCTAssertEqual(status, ARGON2_OK.rawValue)
        let reference = String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

        let parsed = try XCTUnwrap(Argon2PHCString(reference))

        XCTAssertEqual(parsed.salt, salt)
        XCTAssertEqual(parsed.encoded, reference)
    }

    func testVerificationAgreesWithLibargon2OnGoodAndTamperedStrings() throws {
        let good = try Argon2idHasher.hashBlocking(password, parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let fields = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        // The hash's first character carries six bits of the digest (its last one only four).
        let firstHashCharacter = fields[5].first == "A" ? "B" : "A"
        let variants = [
            good,
            fields[0..<5].joined(separator: "$") + "$" + firstHashCharacter + fields[5].dropFirst(),
            good.replacingOccurrences(of: "m=1024", with: "m=2048"),
            good.replacingOccurrences(of: "v=19", with: "v=16"),
            good.replacingOccurrences(of: "$argon2id$", with: "$argon2i$"),
            good + "=",
            fields[0..<5].joined(separator: "$"),
            good.replacingOccurrences(of: "t=1,p=1", with: "t=1,p=1,p=1"),
            // Written by argon2-cffi with two lanes.
            "$argon2id$v=19$m=8192,t=1,p=2$bn4Qfhc+wCa86SNQRmoR8Q$FLNi/pJ5TJq9TG5/ZCYj8u9m6l2DtEz/33RN7J9VdAM",
        ]
        for phc in variants {
            let reference = argon2id_verify(phc, Array(password.utf8), password.utf8.count) == ARGON2_OK.rawValue
            XCTAssertEqual(Argon2idHasher.verifyBlocking(password, phc: phc), reference, phc)
        }
        XCTAssertTrue(Argon2idHasher.verifyBlocking(password, phc: good))
        XCTAssertFalse(Argon2idHasher.verifyBlocking(password, phc: variants[1]))
    }
}

/// Argon2id's working memory is reused between hashes and handed back to the system once idle (issue 13).
final class Argon2MemoryTests: XCTestCase {
    func testAFinishedBlockServesTheNextHashOfThatSize() throws {
        let memory = Argon2Memory(idleLifetime: .seconds(60))
        let first = try XCTUnwrap(memory.take(1 << 20))
        memory.give(first, size: 1 << 20)

        let second = try XCTUnwrap(memory.take(1 << 20))

        XCTAssertEqual(second, first)
        XCTAssertEqual(memory.mappedBlocks, 1)
        memory.give(second, size: 1 << 20)
        XCTAssertEqual(memory.releaseIdle(unusedFor: .zero), 1)
    }

    func testABlockOfAnotherSizeIsMappedAfresh() throws {
        let memory = Argon2Memory(idleLifetime: .seconds(60))
        let small = try XCTUnwrap(memory.take(1 << 20))
        memory.give(small, size: 1 << 20)

        let large = try XCTUnwrap(memory.take(2 << 20))

        XCTAssertNotEqual(large, small)
        XCTAssertEqual(memory.mappedBlocks, 2)
        memory.give(large, size: 2 << 20)
        XCTAssertEqual(memory.releaseIdle(unusedFor: .zero), 2)
        XCTAssertEqual(memory.mappedBlocks, 0)
    }

    func testIdleBlocksAreUnmappedAfterTheirLifetime() async throws {
        let memory = Argon2Memory(idleLifetime: .milliseconds(50))
        memory.give(try XCTUnwrap(memory.take(1 << 20)), size: 1 << 20)
        XCTAssertEqual(memory.idleBlocks, 1)

        let deadline = ContinuousClock.now + .seconds(10)
        while memory.mappedBlocks > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }

        XCTAssertEqual(memory.mappedBlocks, 0)
        XCTAssertEqual(memory.idleBlocks, 0)
    }
}
