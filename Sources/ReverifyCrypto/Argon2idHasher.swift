import CArgon2
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Argon2id cost parameters (RFC 9106). The default is OWASP's minimum: m=19 MiB, t=2, p=1.
public struct Argon2Parameters: Equatable, Sendable, Codable {
    public var memoryKiB: UInt32
    public var iterations: UInt32
    public var parallelism: UInt32

    public init(memoryKiB: UInt32 = 19_456, iterations: UInt32 = 2, parallelism: UInt32 = 1) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    public static let owaspMinimum = Argon2Parameters()
}

/// The outcome of checking a password against a stored PHC string.
public enum PasswordVerification: Equatable, Sendable {
    case invalid
    case valid
    /// Valid, but hashed with other parameters than today's: store a fresh hash.
    case validNeedsRehash
}

/// Errors from hashing (never from verification, which only says valid or not).
public enum PasswordHashingError: Error, CustomStringConvertible {
    case argon2(Int32)
    case emptyPassword
    case tooLong

    public var description: String {
        switch self {
        case .argon2(let code): "argon2 failed: \(String(cString: argon2_error_message(code)))"
        case .emptyPassword: "the password is empty"
        case .tooLong: "the password is longer than 1024 bytes"
        }
    }
}

/// Password hashing with Argon2id in PHC string format, through libargon2.
///
/// Hashing is deliberately slow and memory-hard, so it runs on NIO's blocking thread pool,
/// never on an event loop or the cooperative pool.
public struct Argon2idHasher: Sendable {
    public let parameters: Argon2Parameters
    private let threadPool: NIOThreadPool

    public static let saltLength = 16
    public static let hashLength = 32
    public static let maximumPasswordBytes = 1024

    /// Whether hashing threads run at a lower scheduling priority than request handling.
    public let backgroundPriority: Bool

    /// - Parameter backgroundPriority: move `threadPool`'s threads to Linux's `SCHED_IDLE` policy before hashing
    ///   on them, so a password flood takes only CPU that request handling leaves and request handling keeps
    ///   its latency (issue 13). Only for a pool that does nothing else: the threads never get their priority
    ///   back.
    public init(
        parameters: Argon2Parameters = .owaspMinimum, threadPool: NIOThreadPool = .singleton, backgroundPriority: Bool = false
    ) {
        self.parameters = parameters
        self.threadPool = threadPool
        self.backgroundPriority = backgroundPriority
    }

    /// Hashes a password into a `$argon2id$v=19$m=…,t=…,p=…$salt$hash` string.
    public func hash(_ password: String) async throws -> String {
        let params = parameters
        let background = backgroundPriority
        return try await threadPool.runIfActive {
            if background { Self.lowerThreadPriority() }
            return try Self.hashBlocking(password, parameters: params)
        }
    }

    /// Checks a password; libargon2 compares the digests in constant time (`argon2_verify`).
    public func verify(_ password: String, against phc: String) async -> PasswordVerification {
        let params = parameters
        let background = backgroundPriority
        let result = try? await threadPool.runIfActive { () -> PasswordVerification in
            if background { Self.lowerThreadPriority() }
            guard let stored = Argon2PHCString(phc), Self.verifyBlocking(password, stored) else { return .invalid }
            return stored.parameters == params ? .valid : .validNeedsRehash
        }
        return result ?? .invalid
    }

    /// A hash of a random password, to verify against when the account does not exist, so that
    /// response time does not reveal which emails are registered.
    public func decoyHash() async throws -> String {
        try await hash(OpaqueToken.generate().value)
    }

    /// Moves the calling thread to `SCHED_IDLE`: it runs only when no normal thread wants the CPU, and a normal
    /// thread that wakes takes the CPU from it at once. Nice 10 was not enough: on a kernel with EEVDF's
    /// run-to-parity, a woken request thread still waited out the hashing thread's slice, at every hand-off of
    /// every request, and silent authorize and refresh ran at a third of their speed during a password flood
    /// (issue 13). Linux keeps the policy per thread (sched(7)), and setting it again is a no-op, so it is
    /// simply done before every hash.
    static func lowerThreadPriority() {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, schedIdle, &parameters)
        #endif
    }

    /// `SCHED_IDLE` from `<sched.h>`, which Glibc's Swift module leaves out (it is behind `_GNU_SOURCE`).
    static let schedIdle: Int32 = 5

    /// Hashes through a libargon2 context whose working memory comes from ``Argon2Memory``.
    static func hashBlocking(_ password: String, parameters: Argon2Parameters) throws -> String {
        var pwd = Array(password.utf8)
        guard !pwd.isEmpty else { throw PasswordHashingError.emptyPassword }
        guard pwd.count <= maximumPasswordBytes else { throw PasswordHashingError.tooLong }
        var salt = SecureRandom.bytes(saltLength)
        var out = [UInt8](repeating: 0, count: hashLength)
        let status = out.withUnsafeMutableBufferPointer { out in
            pwd.withUnsafeMutableBufferPointer { pwd in
                salt.withUnsafeMutableBufferPointer { salt in
                    var context = context(
                        out: out, pwd: pwd, salt: salt, parameters: parameters, version: ARGON2_VERSION_13.rawValue)
                    return argon2id_ctx(&context)
                }
            }
        }
        guard status == ARGON2_OK.rawValue else { throw PasswordHashingError.argon2(status) }
        return Argon2PHCString(parameters: parameters, salt: salt, hash: out).encoded
    }

    static func verifyBlocking(_ password: String, phc: String) -> Bool {
        Argon2PHCString(phc).map { verifyBlocking(password, $0) } ?? false
    }

    /// Verifies through a libargon2 context whose working memory comes from ``Argon2Memory``;
    /// `argon2_verify_ctx` compares the digests in constant time.
    static func verifyBlocking(_ password: String, _ stored: Argon2PHCString) -> Bool {
        var pwd = Array(password.utf8)
        guard !pwd.isEmpty, pwd.count <= maximumPasswordBytes else { return false }
        var salt = stored.salt
        var out = [UInt8](repeating: 0, count: stored.hash.count)
        let expected = stored.hash.map { CChar(bitPattern: $0) }
        let status = out.withUnsafeMutableBufferPointer { out in
            pwd.withUnsafeMutableBufferPointer { pwd in
                salt.withUnsafeMutableBufferPointer { salt in
                    var context = context(
                        out: out, pwd: pwd, salt: salt, parameters: stored.parameters, version: stored.version)
                    return argon2_verify_ctx(&context, expected, Argon2_id)
                }
            }
        }
        return status == ARGON2_OK.rawValue
    }

    private static func context(
        out: UnsafeMutableBufferPointer<UInt8>, pwd: UnsafeMutableBufferPointer<UInt8>,
        salt: UnsafeMutableBufferPointer<UInt8>, parameters: Argon2Parameters, version: UInt32
    ) -> argon2_context {
        argon2_context(
            out: out.baseAddress, outlen: UInt32(out.count), pwd: pwd.baseAddress, pwdlen: UInt32(pwd.count),
            salt: salt.baseAddress, saltlen: UInt32(salt.count), secret: nil, secretlen: 0, ad: nil, adlen: 0,
            t_cost: parameters.iterations, m_cost: parameters.memoryKiB, lanes: parameters.parallelism,
            threads: parameters.parallelism, version: version, allocate_cbk: Argon2Memory.allocate,
            free_cbk: Argon2Memory.free, flags: 0)  // ARGON2_DEFAULT_FLAGS, a macro Swift does not import
    }

    /// Reads `m`, `t` and `p` back out of a well-formed Argon2id PHC string.
    public static func parameters(of phc: String) -> Argon2Parameters? {
        Argon2PHCString(phc)?.parameters
    }
}
