/// A decoded CBOR data item (RFC 8949), limited to what WebAuthn's `attestationObject`, authenticator data
/// and COSE keys use: integers, byte and text strings, arrays, maps, booleans and null.
public indirect enum CBOR: Equatable, Sendable {
    /// Major type 0.
    case unsigned(UInt64)
    /// Major type 1: the value is `-1 - n` (kept as `n` so the full range fits).
    case negative(UInt64)
    /// Major type 2.
    case bytes([UInt8])
    /// Major type 3 (valid UTF-8).
    case text(String)
    /// Major type 4.
    case array([CBOR])
    /// Major type 5, in the order encoded; keys are unique integers or text strings.
    case map([CBORMapEntry])
    /// Major type 7, simple values 20 and 21.
    case bool(Bool)
    /// Major type 7, simple value 22.
    case null

    /// The integer value of a major type 0 or 1 item, when it fits an `Int64`.
    public var integer: Int64? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: nil
        }
    }

    public var byteString: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var textString: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var mapEntries: [CBORMapEntry]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The value stored under `key` in a map (`nil` for a missing key or a non-map).
    public subscript(key: CBOR) -> CBOR? {
        mapEntries?.first { $0.key == key }?.value
    }

    /// The value under an integer key (COSE labels are integers, RFC 9052 7.1).
    public subscript(int key: Int64) -> CBOR? { self[CBOR(key)] }

    /// The value under a text key (`fmt`, `attStmt`, `authData`).
    public subscript(text key: String) -> CBOR? { self[.text(key)] }

    /// The CBOR integer for `value` (major type 0 or 1).
    public init(_ value: Int64) {
        self = value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }
}

/// One key/value pair of a CBOR map.
public struct CBORMapEntry: Equatable, Sendable {
    public let key: CBOR
    public let value: CBOR

    public init(key: CBOR, value: CBOR) {
        self.key = key
        self.value = value
    }
}

/// Why bytes are not acceptable CBOR.
public enum CBORError: Error, Equatable, Sendable {
    /// The input ended inside an item.
    case truncated
    /// Bytes remain after the single top-level item.
    case trailingBytes
    /// An indefinite-length string, array or map (RFC 8949 3.2.2); WebAuthn data is always definite.
    case indefiniteLength
    /// A length or value encoded in more bytes than needed (RFC 8949 4.2.1 preferred serialization).
    case nonCanonicalLength
    /// A length beyond what the remaining input could hold, or beyond the decoder's limits.
    case tooLarge
    /// Nesting deeper than the decoder allows.
    case tooDeep
    /// A map with the same key twice (RFC 8949 5.6: such a map is not valid for our purposes).
    case duplicateMapKey
    /// A map key other than an integer or text string (CTAP2 canonical CBOR uses only those).
    case unsupportedMapKey
    /// A tag, float or simple value WebAuthn does not use, or a reserved additional-information value.
    case unsupportedItem
    /// A text string that is not valid UTF-8.
    case invalidUTF8
}

/// A strict decoder for the CBOR subset WebAuthn needs (W3C WebAuthn L3 6.5.4 "CTAP2 canonical CBOR").
///
/// It refuses rather than guesses: indefinite lengths, non-shortest lengths, duplicate map keys, tags,
/// floats, nesting beyond `maxDepth`, and (for `decode`) trailing bytes are all errors.
public struct CBORDecoder: Sendable {
    /// Items nested deeper than this are refused (a COSE key inside `attestationObject` needs 3).
    public var maxDepth: Int
    /// The most elements one array or map may declare.
    public var maxCount: Int

    public init(maxDepth: Int = 8, maxCount: Int = 256) {
        self.maxDepth = maxDepth
        self.maxCount = maxCount
    }

    /// Decodes exactly one item spanning all of `bytes`.
    public func decode(_ bytes: [UInt8]) throws(CBORError) -> CBOR {
        let (item, end) = try decodePrefix(bytes, at: 0)
        guard end == bytes.count else { throw .trailingBytes }
        return item
    }

    /// Decodes one item starting at `offset`; returns it and the offset just past it. Authenticator data
    /// embeds a COSE key followed by more data, so its length is only known by decoding it.
    public func decodePrefix(_ bytes: [UInt8], at offset: Int) throws(CBORError) -> (CBOR, Int) {
        var reader = Reader(bytes: bytes, position: offset)
        let item = try item(&reader, depth: 0)
        return (item, reader.position)
    }

    private struct Reader {
        let bytes: [UInt8]
        var position: Int

        var remaining: Int { bytes.count - position }

        mutating func byte() throws(CBORError) -> UInt8 {
            guard position < bytes.count else { throw .truncated }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: Int) throws(CBORError) -> [UInt8] {
            guard count <= remaining else { throw .truncated }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }
    }

    private func item(_ reader: inout Reader, depth: Int) throws(CBORError) -> CBOR {
        guard depth <= maxDepth else { throw .tooDeep }
        let initial = try reader.byte()
        let major = initial >> 5
        let info = initial & 0x1F
        if major == 7 { return try simple(info) }
        let argument = try self.argument(info, &reader)
        switch major {
        case 0:
            return .unsigned(argument)
        case 1:
            return .negative(argument)
        case 2:
            return .bytes(try reader.take(length(argument, reader)))
        case 3:
            let bytes = try reader.take(length(argument, reader))
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
            return .text(text)
        case 4:
            let count = try self.count(argument, reader, minimumItemBytes: 1)
            var items: [CBOR] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try item(&reader, depth: depth + 1)) }
            return .array(items)
        case 5:
            let count = try self.count(argument, reader, minimumItemBytes: 2)
            var entries: [CBORMapEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let key = try item(&reader, depth: depth + 1)
                switch key {
                case .unsigned, .negative, .text: break
                default: throw .unsupportedMapKey
                }
                guard !entries.contains(where: { $0.key == key }) else { throw .duplicateMapKey }
                entries.append(CBORMapEntry(key: key, value: try item(&reader, depth: depth + 1)))
            }
            return .map(entries)
        default:
            // Major type 6 (tags): WebAuthn's structures carry none.
            throw .unsupportedItem
        }
    }

    /// RFC 8949 3: the argument that follows the initial byte; 31 means indefinite length, 28-30 are reserved.
    private func argument(_ info: UInt8, _ reader: inout Reader) throws(CBORError) -> UInt64 {
        switch info {
        case 0..<24:
            return UInt64(info)
        case 24, 25, 26, 27:
            let width = 1 << Int(info - 24)
            var value: UInt64 = 0
            for byte in try reader.take(width) { value = value << 8 | UInt64(byte) }
            // RFC 8949 4.2.1: the shortest form is required ("preferred serialization").
            let smallest: UInt64 = switch info {
            case 24: 24
            case 25: 0x100
            case 26: 0x1_0000
            default: 0x1_0000_0000
            }
            guard value >= smallest else { throw .nonCanonicalLength }
            return value
        case 31:
            throw .indefiniteLength
        default:
            throw .unsupportedItem
        }
    }

    /// A string's byte length: it must fit in what is left, so a forged length cannot make us allocate.
    private func length(_ argument: UInt64, _ reader: Reader) throws(CBORError) -> Int {
        guard argument <= UInt64(reader.remaining) else { throw .truncated }
        return Int(argument)
    }

    /// An array's or map's element count: bounded by `maxCount` and by the bytes left to hold them.
    private func count(_ argument: UInt64, _ reader: Reader, minimumItemBytes: Int) throws(CBORError) -> Int {
        guard argument <= UInt64(maxCount) else { throw .tooLarge }
        guard Int(argument) * minimumItemBytes <= reader.remaining else { throw .truncated }
        return Int(argument)
    }

    /// Major type 7: only `false`, `true` and `null`; floats and other simple values are refused.
    private func simple(_ info: UInt8) throws(CBORError) -> CBOR {
        switch info {
        case 20: .bool(false)
        case 21: .bool(true)
        case 22: .null
        case 31: throw .indefiniteLength
        default: throw .unsupportedItem
        }
    }
}
