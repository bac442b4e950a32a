/// Decoding of one `application/x-www-form-urlencoded` name or value (HTML 4.01 17.13.4.1): `+` is a space
/// and `%XX` is a byte. Parsing forms and query strings is on every protocol request, and the Foundation
/// route (`replacingOccurrences` then `removingPercentEncoding`) showed in the issue 13 profile.
public enum FormURLDecoding {
    /// The decoded text, or `nil` when a `%` is not followed by two hex digits or the bytes are not UTF-8
    /// (exactly when Foundation's `removingPercentEncoding` refuses), so the protocol rules reject it.
    public static func decode(_ text: Substring) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            i = utf8.index(after: i)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard i != utf8.endIndex, let high = hexValue(utf8[i]) else { return nil }
                i = utf8.index(after: i)
                guard i != utf8.endIndex, let low = hexValue(utf8[i]) else { return nil }
                i = utf8.index(after: i)
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
