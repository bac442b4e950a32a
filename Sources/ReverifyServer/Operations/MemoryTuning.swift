#if canImport(Glibc)
import Glibc
#endif

/// glibc allocator settings for the long-running server (issue 13: sign-ins per second against raw Argon2id,
/// and resident memory under and after a password flood).
///
/// Each Argon2id verification allocates its cost (19 MiB by default) in one block. Served by `mmap`, every
/// verification page-faults and zeroes that much afresh: in the issue 13 profile of a sign-in flood that was
/// 28% kernel time and sign-ins fell to half of raw verifications. Kept in a thread's arena instead, the block
/// is reused by the next verification. So blocks up to 32 MiB stay in the arenas and freed memory is not
/// handed back on every free, and arenas are capped (glibc allows 8 per core, each keeping what its threads
/// freed). The cost: each hashing thread keeps one block (2 × 19 MiB on two cores) after its first
/// verification; `malloc_trim` cannot return it, as it sits at the top of a thread arena's heap.
public enum MemoryTuning {
    /// glibc's `M_TRIM_THRESHOLD`, `M_MMAP_THRESHOLD` and `M_ARENA_MAX` (<malloc.h>).
    private static let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8

    /// Applies the settings; call before the server allocates in earnest.
    public static func applyServerSettings() {
        guard let mallopt = function("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
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
