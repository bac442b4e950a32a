import Foundation

/// An advisory lock on `<database>.lock` (flock(2)) that tells a restore whether the database is in use
/// (issue 15.4): every `serve` holds it shared for its lifetime; `restore` needs it exclusively. The kernel
/// drops it when the process ends, however it ends, so a crashed server never leaves a stale lock.
public final class DatabaseLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    public static func path(forDatabase database: String) -> String { database + ".lock" }

    /// Held by a running server; many servers may share it. Fails while a restore holds it.
    public static func shared(forDatabase database: String) throws -> DatabaseLock {
        try acquire(database, LOCK_SH, busy: StoreError.invalid("a restore of \(database) is in progress; try again when it ends"))
    }

    /// Held by a restore; fails while any server uses the database.
    public static func exclusive(forDatabase database: String) throws -> DatabaseLock {
        try acquire(database, LOCK_EX, busy: StoreError.invalid("\(database) is in use by a running server; stop it before restoring"))
    }

    private static func acquire(_ database: String, _ operation: Int32, busy: StoreError) throws -> DatabaseLock {
        let url = URL(fileURLWithPath: database)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(path(forDatabase: database), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError.invalid("cannot open \(path(forDatabase: database)): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, operation | LOCK_NB) == 0 else {
            close(descriptor)
            throw busy
        }
        return DatabaseLock(descriptor: descriptor)
    }
}
