/// A QR Code symbol (ISO/IEC 18004:2015) encoding bytes in byte mode at error-correction level M.
///
/// Reverify needs exactly one kind of QR code: an `otpauth://` URI for authenticator apps (issue 18), a few
/// hundred bytes at most. So this encoder does one thing: byte mode (8.4.4), level M (15 % recovery, what
/// authenticator enrolment pages commonly use), the smallest version 1–40 that fits, all eight masks scored
/// by the four penalty rules (7.8.3) with the lowest chosen, and the format and version information (7.9, 7.10).
/// No package in the mirror offers this; the tests compare whole module matrices with an independent encoder's.
public struct QRCode: Sendable, Equatable {
    /// The symbol version, 1 to 40 (size = 4 × version + 17 modules).
    public let version: Int
    /// The data mask pattern applied, 0 to 7 (ISO/IEC 18004 table 10).
    public let mask: Int
    /// Modules by row then column; `true` is dark. Without the quiet zone.
    public let modules: [[Bool]]

    public var size: Int { modules.count }

    /// Why a payload cannot become a QR code.
    public enum EncodingError: Error, Equatable {
        /// More bytes than version 40 at level M holds (2331).
        case tooLong(Int)
        case invalidMask(Int)
        case invalidVersion(Int)
    }

    /// Encodes `bytes` in the smallest version that fits (or at least `minimumVersion`), with the mask the
    /// penalty rules choose, or the one given (for tests that compare with another encoder).
    public init(bytes: [UInt8], minimumVersion: Int = 1, mask forcedMask: Int? = nil) throws(EncodingError) {
        guard (1...40).contains(minimumVersion) else { throw .invalidVersion(minimumVersion) }
        if let forcedMask, !(0...7).contains(forcedMask) { throw .invalidMask(forcedMask) }
        guard let version = (minimumVersion...40).first(where: { Self.dataBits(bytes.count, version: $0) <= Self.dataCodewords(version: $0) * 8 })
        else { throw .tooLong(bytes.count) }
        let codewords = Self.interleavedCodewords(Self.dataCodewords(for: bytes, version: version), version: version)
        var grid = ModuleGrid(version: version)
        grid.drawFunctionPatterns()
        grid.placeData(codewords)
        let chosen: Int
        if let forcedMask {
            chosen = forcedMask
        } else {
            // 7.8.3: evaluate every mask and keep the one with the lowest penalty.
            chosen = (0...7).min { a, b in
                var ga = grid, gb = grid
                ga.applyMask(a)
                ga.drawFormatBits(mask: a)
                gb.applyMask(b)
                gb.drawFormatBits(mask: b)
                return (ga.penalty(), a) < (gb.penalty(), b)
            }!
        }
        grid.applyMask(chosen)
        grid.drawFormatBits(mask: chosen)
        self.version = version
        self.mask = chosen
        self.modules = grid.modules
    }

    /// Encodes a text as its UTF-8 bytes.
    public init(text: String, mask: Int? = nil) throws(EncodingError) {
        try self.init(bytes: Array(text.utf8), mask: mask)
    }

    // MARK: Capacity (level M)

    /// Error-correction codewords per block at level M, by version (ISO/IEC 18004 table 9).
    static let eccCodewordsPerBlock = [
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    /// Error-correction blocks at level M, by version (table 9).
    static let errorCorrectionBlocks = [
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]

    /// Modules available for data and error correction: everything but the function patterns and the
    /// format and version information (table 1).
    static func rawDataModules(version v: Int) -> Int {
        var result = (16 * v + 128) * v + 64
        if v >= 2 {
            let alignments = v / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if v >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(version v: Int) -> Int {
        rawDataModules(version: v) / 8 - eccCodewordsPerBlock[v - 1] * errorCorrectionBlocks[v - 1]
    }

    /// 8.4.4 byte mode: the 4-bit mode indicator, the character count (8 bits up to version 9, 16 after) and the bytes.
    static func dataBits(_ count: Int, version: Int) -> Int {
        let countBits = version <= 9 ? 8 : 16
        guard count < 1 << countBits else { return Int.max }
        return 4 + countBits + 8 * count
    }

    /// The data codewords: segment, terminator, bit padding to a byte, then the pad bytes 0xEC 0x11 (7.4.9, 7.4.10).
    static func dataCodewords(for bytes: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCodewords(version: version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        var pad: UInt8 = 0xEC
        while codewords.count < capacity / 8 {
            codewords.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return codewords
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords, and interleaves them (7.5, 7.6).
    static func interleavedCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        let blockCount = errorCorrectionBlocks[version - 1]
        let eccLength = eccCodewordsPerBlock[version - 1]
        let raw = rawDataModules(version: version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let divisor = ReedSolomon.generator(degree: eccLength)
        var blocks: [[UInt8]] = []
        var offset = 0
        for i in 0..<blockCount {
            let length = shortLength - eccLength + (i < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<offset + length])
            offset += length
            let ecc = ReedSolomon.remainder(of: block, divisor: divisor)
            // Short blocks get a placeholder so every block has the same shape; it is skipped below.
            if i < shortBlocks { block.append(0) }
            blocks.append(block + ecc)
        }
        var result: [UInt8] = []
        for i in 0..<blocks[0].count {
            for (j, block) in blocks.enumerated() where i != shortLength - eccLength || j >= shortBlocks {
                result.append(block[i])
            }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<min(start + 8, bits.count)].enumerated().reduce(UInt8(0)) { acc, bit in
                bit.element ? acc | (0x80 >> UInt8(bit.offset)) : acc
            }
        }
    }
}
