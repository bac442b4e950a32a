/// An IPv4 or IPv6 address as bytes, with the scope that decides whether a webhook may be sent to it.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// From network-order bytes: 4 for IPv4, 16 for IPv6.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(bytes)
        case 16: self = .v6(bytes)
        default: return nil
        }
    }

    /// Parses a strict literal: dotted-quad IPv4 (no leading zeros, which some resolvers read as octal)
    /// or RFC 4291 2.2 IPv6 text without a zone. Anything else is a host name.
    public init?(_ text: String) {
        if let v4 = Self.parseV4(Substring(text)) {
            self = .v4(v4)
        } else if let v6 = Self.parseV6(Substring(text)) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    static func parseV4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseV6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":"), text.count <= 45 else { return nil }
        // Split at "::" (at most once) into a head and a tail of groups.
        let halves = text.splitting(on: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [Substring]? {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false)
        }
        guard var head = groups(halves[0]), var tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        // A trailing dotted IPv4 (e.g. ::ffff:192.0.2.1) fills the last two groups.
        var embedded: [UInt8] = []
        if let last = (halves.count == 2 ? tail : head).last, last.contains(".") {
            guard let v4 = parseV4(last) else { return nil }
            embedded = v4
            if halves.count == 2 { tail.removeLast() } else { head.removeLast() }
        }
        func words(_ groups: [Substring]) -> [UInt8]? {
            var bytes: [UInt8] = []
            for group in groups {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return bytes
        }
        guard let headBytes = words(head), let tailBytes = words(tail) else { return nil }
        let explicit = headBytes.count + tailBytes.count + embedded.count
        if halves.count == 2 {
            guard explicit <= 14 else { return nil }
            return headBytes + [UInt8](repeating: 0, count: 16 - explicit) + tailBytes + embedded
        }
        guard explicit == 16 else { return nil }
        return headBytes + embedded
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let b), .v6(let b): b
        }
    }

    public var description: String {
        switch self {
        case .v4(let b): return b.map(String.init).joined(separator: ".")
        case .v6(let b):
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
    }

    /// Where the address routes (RFC 6890 special-purpose registries, RFC 4291, RFC 6052).
    public var scope: AddressScope {
        switch self {
        case .v4(let b): return Self.scopeV4(b)
        case .v6(let b): return Self.scopeV6(b)
        }
    }

    static func scopeV4(_ b: [UInt8]) -> AddressScope {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return .unspecified  // "this network"; 0.0.0.0 reaches the local host on Linux
        case (127, _, _): return .loopback
        case (10, _, _), (172, 16...31, _), (192, 168, _): return .private  // RFC 1918
        case (100, 64...127, _): return .private  // RFC 6598 shared address space (carrier-grade NAT)
        case (169, 254, _): return .linkLocal  // includes cloud metadata at 169.254.169.254
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (198, 18...19, _): return .reserved
        case (224...239, _, _): return .multicast
        case (240...255, _, _): return .reserved  // includes the limited broadcast address
        default: return .public
        }
    }

    static func scopeV6(_ b: [UInt8]) -> AddressScope {
        let zero10 = b[0..<10].allSatisfy { $0 == 0 }
        if zero10 && b[10] == 0xff && b[11] == 0xff { return scopeV4(Array(b[12..<16])) }  // IPv4-mapped
        if b[0..<15].allSatisfy({ $0 == 0 }) {
            return b[15] == 1 ? .loopback : (b[15] == 0 ? .unspecified : .reserved)
        }
        if zero10 && b[10] == 0 && b[11] == 0 { return .reserved }  // deprecated IPv4-compatible
        if b[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return scopeV4(Array(b[12..<16])) }  // NAT64
        if b[0..<6] == [0, 0x64, 0xff, 0x9b, 0, 1] { return .private }  // local-use NAT64 (RFC 8215)
        if b[0] == 0x20 && b[1] == 0x02 { return scopeV4(Array(b[2..<6])) }  // 6to4 embeds an IPv4 address
        if b[0..<4] == [0x20, 0x01, 0x0d, 0xb8] { return .reserved }  // documentation
        if b[0..<4] == [0x20, 0x01, 0, 0] { return .reserved }  // Teredo hides an IPv4 address
        if b[0..<8] == [0x01, 0, 0, 0, 0, 0, 0, 0] { return .reserved }  // discard-only
        if b[0] & 0xfe == 0xfc { return .private }  // unique local fc00::/7
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal }  // fe80::/10
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .private }  // deprecated site-local fec0::/10
        if b[0] == 0xff { return .multicast }
        return .public
    }
}

/// Where an address routes, for the webhook SSRF guard.
public enum AddressScope: String, Sendable, Equatable {
    case `public`
    case loopback
    case `private`
    case linkLocal = "link-local"
    case unspecified
    case multicast
    case reserved

    /// Only globally routable unicast addresses are webhook targets unless the operator allows private ones.
    public var isPublic: Bool { self == .public }
}

extension Substring {
    func splitting(on separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
