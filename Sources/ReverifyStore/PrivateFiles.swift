import Foundation

/// Files that hold secrets — the database (signing keys, webhook and upstream secrets) and the mail outbox
/// (live codes and links) — are readable by their owner only: files `0600`, directories `0700` (issue 9 item 11).
public enum PrivateFiles {
    public static let fileMode: Int16 = 0o600
    public static let directoryMode: Int16 = 0o700

    /// Creates `directory` (and missing parents) owner-only. An existing directory is left as it is: it may be
    /// a shared parent such as the working directory, which is not ours to change.
    public static func createDirectory(_ directory: URL) throws {
        guard !FileManager.default.fileExists(atPath: directory.path) else { return }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        // The umask may have masked the mode given at creation; say it again.
        try restrict(directory.path, to: directoryMode)
    }

    /// Creates an empty file owner-only if it does not exist yet, so that whatever fills it (SQLite) never
    /// exposes it; SQLite then gives its `-wal` and `-shm` files the same mode.
    public static func createFile(_ path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: fileMode]) else {
            throw StoreError.invalid("cannot create \(path): is its folder writable by this user?")
        }
        try restrict(path, to: fileMode)
    }

    /// Takes group and other permissions away from an existing file or directory (one created before this rule,
    /// or by a tool with a looser umask). Best effort: a file we do not own is reported by the caller's use of it.
    public static func tighten(_ path: String, to mode: Int16 = fileMode) {
        guard let current = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
            current.int16Value & 0o077 != 0
        else { return }
        try? restrict(path, to: mode)
    }

    private static func restrict(_ path: String, to mode: Int16) throws {
        try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
    }
}
