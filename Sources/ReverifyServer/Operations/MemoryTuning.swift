#if canImport(Glibc)
import Glibc
#endif

/// glibc allocator settings for the long-running server (issue 13: resident memory after a password flood).
///
/// Each Argon2id verification allocates its cost (19 MiB by default) in one block. glibc serves a block that
/// large with `mmap` and unmaps it when freed, but after the first such free it raises its mmap threshold
/// (up to 32 MiB) and serves later ones from a thread's arena, which keeps the pages after free: every hashing
/// thread ended up holding its 19 MiB for good. A fixed threshold (mallopt(3): setting it turns the dynamic
/// adjustment off) keeps large blocks on `mmap`; a cap on arenas bounds the per-thread heaps that the
/// cooperative pool, NIO and dispatch threads would otherwise each grow (glibc allows 8 per core).
public enum MemoryTuning {
    public static let mmapThreshold: Int32 = 1 << 20
    public static let arenas: Int32 = 4

    /// Applies both settings; call before the server allocates in earnest.
    public static func applyServerSettings() {
        #if canImport(Glibc)
        // Swift's Glibc module leaves out <malloc.h>: look `mallopt` up in the C library instead. The parameter
        // numbers are glibc's M_MMAP_THRESHOLD (-3) and M_ARENA_MAX (-8) from that header.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(-3, mmapThreshold)
        _ = mallopt(-8, arenas)
        #endif
    }
}
