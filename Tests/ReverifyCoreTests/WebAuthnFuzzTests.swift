import ReverifyCore
import XCTest

/// Deterministic fuzzing: mutations of valid inputs must never crash or hang the parsers, and every
/// refusal must be a typed error. A failure names its seed and iteration so it reproduces.
final class WebAuthnFuzzTests: XCTestCase {
    private typealias F = WebAuthnFixture

    private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:  // replace a byte with an interesting value
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0x00, 0x17, 0x18, 0x1F, 0x5F, 0x7F, 0x9F, 0xBF, 0xFF, 0x1B, 0xFB][Int.random(in: 0..<11, using: &rng)]
            case 2 where !bytes.isEmpty:  // truncate
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            case 3:  // insert random bytes
                let i = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
            case 4 where bytes.count > 1:  // duplicate a slice
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let end = min(bytes.count, start + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            default:  // remove a slice
                guard !bytes.isEmpty else { continue }
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &rng)))
            }
        }
        return bytes
    }

    func testMutatedCBORDecodesOrThrowsCBORError() {
        let seeds = [CBOREncoder.encode(F.p256Key()), F.attestationObject(), CBOREncoder.encode(F.rsaKey())]
        var rng = SplitMix64(state: 18)
        for iteration in 0..<20_000 {
            let input = mutate(seeds[iteration % seeds.count], &rng)
            do {
                let item = try CBORDecoder().decode(input)
                // What the strict decoder accepts is canonical: it re-encodes to the same bytes.
                XCTAssertEqual(CBOREncoder.encode(item), input, "iteration \(iteration)")
            } catch {
                // `decode` is typed-throwing: reaching here means a CBORError, never a crash.
            }
        }
    }

    func testMutatedAttestationObjectsParseOrThrowWebAuthnError() {
        let seeds = [
            F.attestationObject(), F.attestationObject(authData: F.registrationAuthData(key: F.ed25519Key())),
            F.attestationObject(authData: F.authData(credentialID: F.credentialID, extensions: .map([.init(key: .text("x"), value: .bool(true))]))),
        ]
        var rng = SplitMix64(state: 7)
        var accepted = 0
        for iteration in 0..<20_000 {
            let input = mutate(seeds[iteration % seeds.count], &rng)
            guard let object = try? AttestationObject(input) else { continue }
            accepted += 1
            // Anything accepted is internally consistent: its credential key re-parses from the stored bytes.
            if let key = object.authenticatorData.attestedCredential?.publicKey {
                XCTAssertEqual(try? COSEKey(encoded: key.encoded), key, "iteration \(iteration)")
            }
        }
        XCTAssertLessThan(accepted, 20_000)
    }

    func testMutatedAuthenticatorDataParsesOrThrowsWebAuthnError() {
        let seeds = [F.authData(signCount: 9), F.registrationAuthData(), F.registrationAuthData(key: F.rsaKey())]
        var rng = SplitMix64(state: 42)
        for iteration in 0..<20_000 {
            let input = mutate(seeds[iteration % seeds.count], &rng)
            do {
                let data = try AuthenticatorData(input)
                XCTAssertEqual(data.bytes, input)
                XCTAssertEqual(data.attestedCredential != nil, data.flags.contains(.attestedCredentialData), "iteration \(iteration)")
            } catch {
                // Typed throws: a WebAuthnError.
            }
        }
    }

    func testRandomBytesNeverCrashTheDecoder() {
        var rng = SplitMix64(state: 99)
        for _ in 0..<20_000 {
            let input = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? CBORDecoder().decode(input)
            _ = try? AuthenticatorData(input)
        }
    }
}
