/// Hex and base64url text for bytes, written straight into a `String`'s storage.
///
/// Every request hashes at least one secret and most mint an identifier or a token; Foundation's
/// `String(format: "%02x")` per byte and `base64EncodedString()` followed by three
/// `replacingOccurrences` showed up in the issue 13 profile (`CFStringFind`, `String(format:)`), so the
/// hot paths use these table lookups instead. The output is byte-for-byte what those produced.
public enum ByteEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)
    /// RFC 4648 section 5: the URL- and filename-safe alphabet.
    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Lower-case hex, two digits per byte.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let input = Array(bytes)
        return String(unsafeUninitializedCapacity: input.count * 2) { buffer in
            var i = 0
            for byte in input {
                buffer[i] = hexDigits[Int(byte >> 4)]
                buffer[i + 1] = hexDigits[Int(byte & 0x0f)]
                i += 2
            }
            return i
        }
    }

    /// base64url without padding (RFC 4648 section 5, RFC 7515 section 2).
    public static func base64URL<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let input = Array(bytes)
        let full = input.count / 3
        let rest = input.count % 3
        let length = full * 4 + (rest == 0 ? 0 : rest + 1)
        return String(unsafeUninitializedCapacity: length) { buffer in
            var out = 0
            var i = 0
            for _ in 0..<full {
                let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                buffer[out] = base64URLAlphabet[Int(value >> 18 & 0x3f)]
                buffer[out + 1] = base64URLAlphabet[Int(value >> 12 & 0x3f)]
                buffer[out + 2] = base64URLAlphabet[Int(value >> 6 & 0x3f)]
                buffer[out + 3] = base64URLAlphabet[Int(value & 0x3f)]
                i += 3
                out += 4
            }
            if rest > 0 {
                let value = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                buffer[out] = base64URLAlphabet[Int(value >> 18 & 0x3f)]
                buffer[out + 1] = base64URLAlphabet[Int(value >> 12 & 0x3f)]
                out += 2
                if rest == 2 {
                    buffer[out] = base64URLAlphabet[Int(value >> 6 & 0x3f)]
                    out += 1
                }
            }
            return out
        }
    }
}
