/// The reverse proxies whose `X-Forwarded-For` is believed (issue 11: the client's network is a risk signal,
/// so which address is the client's must not be up to the client). Default: none, the socket address counts.
public struct TrustedProxies: Sendable, Equatable {
    /// One trusted address or network.
    public struct Network: Sendable, Equatable {
        public let address: IPAddress
        public let prefixLength: Int

        func contains(_ other: IPAddress) -> Bool {
            let (a, b) = (address.bytes, other.bytes)
            guard a.count == b.count else { return false }
            var bits = prefixLength
            for (x, y) in zip(a, b) {
                if bits <= 0 { return true }
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if x & mask != y & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    public let networks: [Network]

    public init(_ networks: [Network] = []) { self.networks = networks }

    /// Parses `203.0.113.7`, `10.0.0.0/8` or `2001:db8::/32`; `nil` when malformed.
    public static func parse(_ text: String) -> Network? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.bytes.count * 8
        guard parts.count == 2 else { return Network(address: address, prefixLength: maximum) }
        guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
        return Network(address: address, prefixLength: length)
    }

    public func trusts(_ address: IPAddress) -> Bool { networks.contains { $0.contains(address) } }

    /// The client's address: the socket's, unless it is a trusted proxy; then the right-most address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (RFC 7239 7.4: the left-most can be forged).
    public func clientAddress(socket: String?, forwardedFor: String?) -> String? {
        guard let socket, let peer = IPAddress(socket), trusts(peer), let forwardedFor else { return socket }
        for hop in forwardedFor.split(separator: ",").reversed() {
            let text = hop.trimmingPrefix(" ").split(separator: " ").first.map(String.init) ?? ""
            guard let address = IPAddress(text) else { return socket }
            if !trusts(address) { return address.description }
        }
        return socket
    }
}
