#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import ReverifyCore

/// Resolves host names with the system resolver (`getaddrinfo`), on NIO's blocking thread pool so that
/// neither an event loop nor the cooperative pool ever waits on DNS.
public enum AddressResolver {
    /// The host did not resolve to any usable address.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every address `host` resolves to, in the resolver's preferred order.
    public static func resolve(host: String, port: Int) async throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive { try resolveBlocking(host: host, port: port) }
    }

    /// Blocking; for the CLI and the thread pool only.
    public static func resolveBlocking(host: String, port: Int) throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ai_next }
            guard let sockaddr = entry.ai_addr else { continue }
            var address: IPAddress?
            switch entry.ai_family {
            case AF_INET:
                address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
                }
            case AF_INET6:
                address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
                }
            default:
                break
            }
            if let address, !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else { throw Failure(description: "\(host) has no IPv4 or IPv6 address") }
        return addresses
    }
}
