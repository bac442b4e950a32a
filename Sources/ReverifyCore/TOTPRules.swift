/// The rules of authenticator-app codes (RFC 6238 TOTP, issue 18): 30-second steps, 6 digits, one step of
/// clock drift either way, and each step accepted once. The code computation itself is HummingbirdOTP's;
/// these are the decisions around it.
public enum TOTPRules {
    /// RFC 6238 4.1 X: the time step.
    public static let period: Int64 = 30
    public static let digits = 6
    /// RFC 6238 5.2: "at most one time step" of network delay or clock drift is accepted either way.
    public static let allowedDrift: Int64 = 1

    /// RFC 6238 4.2: T = floor((Current Unix time - T0) / X), with T0 = 0.
    public static func step(at time: UnixTime) -> Int64 {
        time.rawValue >= 0 ? time.rawValue / period : (time.rawValue - period + 1) / period
    }

    /// The steps a code typed at `time` may belong to, newest first.
    public static func acceptableSteps(at time: UnixTime) -> [Int64] {
        let current = step(at: time)
        return (-allowedDrift...allowedDrift).reversed().map { current + $0 }
    }

    /// A typed code: six ASCII digits, spaces allowed between groups; `nil` otherwise.
    public static func normalizedCode(_ typed: String) -> String? {
        let digits = typed.filter { $0 != " " }
        guard digits.count == Self.digits, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return digits
    }

    /// A computed code as the app shows it: zero-padded to six digits.
    public static func formatted(_ code: Int) -> String {
        let text = String(code)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The newest acceptable step whose code equals `typed`, comparing every candidate in constant time (no
    /// early exit, so timing does not reveal which step matched).
    public static func matchingStep(_ typed: String, at time: UnixTime, codeForStep: (Int64) -> String) -> Int64? {
        var match: Int64?
        for step in acceptableSteps(at: time) {
            let equal = ConstantTime.equals(codeForStep(step), typed)
            if equal, match == nil { match = step }
        }
        return match
    }

    /// RFC 6238 5.2: "the verifier MUST NOT accept the second attempt of the OTP after the successful
    /// validation has been issued for the first OTP". A step at or before the last one used is a replay.
    public static func isUnused(step: Int64, lastUsedStep: Int64?) -> Bool {
        guard let lastUsedStep else { return true }
        return step > lastUsedStep
    }
}
