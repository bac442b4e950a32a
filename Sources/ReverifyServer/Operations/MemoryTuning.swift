#if canImport(Glibc)
import Glibc
#endif

/// glibc allocator settings for the long-running server (issue 13: resident memory under and after load).
///
/// glibc allows 8 arenas per core, each keeping what its threads freed; capped at 4, NIO's, Swift
/// Concurrency's and the hashing pool's threads share them. (Argon2id's 19 MiB blocks do not come from
/// `malloc`: ``Argon2Memory`` maps them, keeps them between hashes and unmaps them once idle.)
public enum MemoryTuning {
    /// glibc's `M_ARENA_MAX` (<malloc.h>).
    private static let arenaMax: Int32 = -8

    /// Applies the settings; call before the server allocates in earnest.
    public static func applyServerSettings() {
        guard let mallopt = function("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        _ = mallopt(arenaMax, 4)
    }

    /// Swift's Glibc module leaves <malloc.h> out: the functions are looked up in the C library instead.
    private static func function<F>(_ name: String, as type: F.Type) -> F? {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }
}
