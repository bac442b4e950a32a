import ReverifyCore
import Testing

@Suite struct RequestIDTests {
    @Test func wellFormedHeaderIsKept() {
        #expect(RequestID.accepting("req-42_A.b").rawValue == "req-42_A.b")
    }

    @Test func headerOfExactly128CharactersIsKept() {
        let value = String(repeating: "a", count: 128)
        #expect(RequestID.accepting(value).rawValue == value)
    }

    @Test func headerLongerThan128CharactersIsReplaced() {
        let value = String(repeating: "a", count: 129)
        #expect(RequestID.accepting(value).rawValue != value)
    }

    @Test(arguments: ["", "has space", "quote\"", "new\nline", "semi;colon", "ünïcode", "slash/"])
    func malformedHeaderIsReplaced(header: String) {
        let id = RequestID.accepting(header)
        #expect(id.rawValue != header)
        #expect(RequestID(rawValue: id.rawValue) != nil)
    }

    @Test func missingHeaderGetsAGeneratedIdentifierOf32HexDigits() {
        let id = RequestID.accepting(nil)
        #expect(id.rawValue.count == 32)
        #expect(id.rawValue.allSatisfy { $0.isHexDigit })
    }

    @Test func aGeneratedIdentifierIsItsTwoNumbersInZeroPaddedHex() {
        struct Fixed: RandomNumberGenerator {
            var values: [UInt64] = [0x1, 0xABCD_EF01_2345_6789]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        var generator = Fixed()
        #expect(RequestID.generate(using: &generator).rawValue == "0000000000000001abcdef0123456789")
    }

    @Test func generatedIdentifiersDiffer() {
        #expect(RequestID.generate() != RequestID.generate())
    }
}
