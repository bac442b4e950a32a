@testable import ReverifyServer
import Testing

/// How a form-encoded body or query splits into parameters (WHATWG URL Standard 5.1).
@Suite struct FormParametersTests {
    @Test func fieldsSplitOnAmpersandsAndTheFirstEqualsSign() {
        let pairs = FormParameters.pairs("a=1&b=x%3Dy=z&&c&d=")

        #expect(pairs.map(\.0) == ["a", "b", "c", "d"])
        #expect(pairs.map(\.1) == ["1", "x=y=z", "", ""])
    }

    /// The separators are bytes: a combining mark after `&` or `=` does not hide them, as it would from a split
    /// by Character.
    @Test func aCombiningMarkAfterASeparatorDoesNotHideIt() {
        let pairs = FormParameters.pairs("a=1&\u{301}b=\u{301}2")

        #expect(pairs.map(\.0) == ["a", "\u{301}b"])
        #expect(pairs.map(\.1) == ["1", "\u{301}2"])
    }

    @Test func badPercentEncodingLeavesTheValueUnknown() {
        let pairs = FormParameters.pairs("a=%zz&b=%E2%82%AC")

        #expect(pairs.map(\.1) == [nil, "€"])
    }
}
