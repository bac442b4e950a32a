import CArgon2
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Argon2id's working memory (its `m` KiB, 19 MiB by default), mapped from the system for libargon2, kept
/// between hashes and unmapped once idle (issue 13).
///
/// Each verification needs one block of that size. Mapped afresh every time, it page-faults and zeroes 19 MiB
/// per sign-in: 28% of a sign-in flood's time in the issue 13 profile. Kept for ever, every hashing thread's
/// block stayed resident in an idle server. So finished blocks wait here for the next hash (libargon2 wipes
/// them before handing them back) and are unmapped once none has been used for ``idleLifetime``.
public final class Argon2Memory: Sendable {
    /// The process's blocks: libargon2 calls back through plain C function pointers, without a context.
    public static let shared = Argon2Memory()

    /// How long an unused block is kept for the next hash.
    public let idleLifetime: Duration

    init(idleLifetime: Duration = .seconds(5)) {
        self.idleLifetime = idleLifetime
    }

    private struct Block {
        let address: UInt
        let size: Int
        var freedAt: ContinuousClock.Instant
    }

    private struct State {
        var idle: [Block] = []
        var mapped = 0
        var releaseScheduled = false
    }

    private let state = Mutex(State())

    /// Blocks mapped now, in use or waiting.
    public var mappedBlocks: Int { state.withLock { $0.mapped } }
    /// Blocks waiting for the next hash.
    public var idleBlocks: Int { state.withLock { $0.idle.count } }

    /// A block of exactly `size` bytes: a waiting one, or a new mapping.
    func take(_ size: Int) -> UnsafeMutableRawPointer? {
        let reused = state.withLock { state -> UInt? in
            guard let index = state.idle.lastIndex(where: { $0.size == size }) else { return nil }
            return state.idle.remove(at: index).address
        }
        if let reused { return UnsafeMutableRawPointer(bitPattern: reused) }
        let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { return nil }
        state.withLock { $0.mapped += 1 }
        return memory
    }

    /// Takes back a block libargon2 has finished with (and wiped), and makes sure idle ones get unmapped.
    func give(_ memory: UnsafeMutableRawPointer, size: Int) {
        let schedule = state.withLock { state -> Bool in
            state.idle.append(Block(address: UInt(bitPattern: memory), size: size, freedAt: .now))
            defer { state.releaseScheduled = true }
            return !state.releaseScheduled
        }
        if schedule { scheduleRelease() }
    }

    /// Unmaps the blocks unused for `idleFor` or longer; returns how many.
    @discardableResult
    public func releaseIdle(unusedFor idleFor: Duration) -> Int {
        let now = ContinuousClock.now
        let released = state.withLock { state -> [Block] in
            let (old, recent) = (state.idle.filter { now - $0.freedAt >= idleFor }, state.idle.filter { now - $0.freedAt < idleFor })
            state.idle = recent
            state.mapped -= old.count
            return old
        }
        for block in released { munmap(UnsafeMutableRawPointer(bitPattern: block.address), block.size) }
        return released.count
    }

    private func scheduleRelease() {
        Task.detached(priority: .background) {
            while true {
                try? await Task.sleep(for: self.idleLifetime)
                self.releaseIdle(unusedFor: self.idleLifetime)
                let done = self.state.withLock { state -> Bool in
                    if state.idle.isEmpty { state.releaseScheduled = false }
                    return state.idle.isEmpty
                }
                if done { return }
            }
        }
    }

    /// libargon2's allocator callbacks (`argon2_context.allocate_cbk` / `free_cbk`).
    static let allocate: allocate_fptr = { memory, size in
        guard let memory, let block = Argon2Memory.shared.take(size) else { return ARGON2_MEMORY_ALLOCATION_ERROR.rawValue }
        memory.pointee = block.assumingMemoryBound(to: UInt8.self)
        return ARGON2_OK.rawValue
    }

    static let free: deallocate_fptr = { memory, size in
        guard let memory else { return }
        Argon2Memory.shared.give(UnsafeMutableRawPointer(memory), size: size)
    }
}
