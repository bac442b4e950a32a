import CArgon2
import Foundation

/// An Argon2id hash in the PHC string format `$argon2id$v=19$m=…,t=…,p=…$SALT$HASH` (salt and hash in
/// unpadded standard base64), read into the fields libargon2's context takes. libargon2 parses these strings
/// itself only inside `argon2_verify`, which allocates its memory with `malloc`; verifying through a context
/// lets ``Argon2Memory`` provide it.
struct Argon2PHCString: Equatable {
    var version: UInt32
    var parameters: Argon2Parameters
    var salt: [UInt8]
    var hash: [UInt8]

    init(version: UInt32 = ARGON2_VERSION_13.rawValue, parameters: Argon2Parameters, salt: [UInt8], hash: [UInt8]) {
        self.version = version
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// The string libargon2's `argon2id_hash_encoded` writes for these fields.
    var encoded: String {
        let p = parameters
        return "$argon2id$v=\(version)$m=\(p.memoryKiB),t=\(p.iterations),p=\(p.parallelism)$\(Self.base64(salt))$\(Self.base64(hash))"
    }

    /// `nil` for anything that is not a well-formed Argon2id PHC string.
    init?(_ phc: String) {
        let fields = phc.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id",
            fields[2].hasPrefix("v="), let version = UInt32(fields[2].dropFirst(2)), version == ARGON2_VERSION_10.rawValue || version == ARGON2_VERSION_13.rawValue
        else { return nil }
        var values: [Substring: UInt32] = [:]
        for pair in fields[3].split(separator: ",", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, values[kv[0]] == nil, let value = UInt32(kv[1]) else { return nil }
            values[kv[0]] = value
        }
        guard values.count == 3, let m = values["m"], let t = values["t"], let p = values["p"],
            let salt = Self.base64(fields[4]), let hash = Self.base64(fields[5])
        else { return nil }
        self.version = version
        self.parameters = Argon2Parameters(memoryKiB: m, iterations: t, parallelism: p)
        self.salt = salt
        self.hash = hash
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        String(Data(bytes).base64EncodedString().prefix { $0 != "=" })
    }

    /// Unpadded standard base64 (the PHC format's "B64"); padding or other alphabets are refused.
    private static func base64(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty, !text.contains("="), text.count % 4 != 1 else { return nil }
        let padded = String(text) + String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: padded).map(Array.init)
    }
}
