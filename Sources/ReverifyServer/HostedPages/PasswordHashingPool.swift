import NIOCore
import NIOPosix

/// Where the server's Argon2id work runs (issue 13): a pool of its own, one thread per core, so a password
/// flood never occupies the threads NIO uses for file I/O, and whose threads hash below the priority of
/// request handling (``Argon2idHasher/backgroundPriority``). The pool has no queue limit of its own: the
/// routes admit verifications through ``Services/passwordGate`` first.
public enum PasswordHashingPool {
    public static let threads = System.coreCount

    /// Started on first use and kept for the life of the process, like `NIOThreadPool.singleton`.
    public static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()
}
