import ReverifyCrypto
import XCTest

final class Argon2idHasherTests: XCTestCase {
    /// Small parameters keep the unit tests quick; the OWASP default is checked separately.
    let hasher = Argon2idHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))

    func testHashIsAnArgon2idPHCString() async throws {
        let phc = try await hasher.hash("correct horse battery staple")
        XCTAssertTrue(phc.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"), phc)
        XCTAssertEqual(phc.split(separator: "$").count, 5)
    }

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
