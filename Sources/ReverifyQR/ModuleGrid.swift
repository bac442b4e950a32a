/// The module matrix being drawn: function patterns first (so data placement can skip them), then the
/// codewords, then a mask and the format information. Coordinates are (x: column, y: row).
struct ModuleGrid {
    let version: Int
    let size: Int
    var modules: [[Bool]]
    /// Modules that belong to a function pattern or the format/version information: never masked, never data.
    var isFunction: [[Bool]]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = modules
    }

    private mutating func setFunction(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y][x] = dark
        isFunction[y][x] = true
    }

    // MARK: Function patterns (ISO/IEC 18004 6.3)

    mutating func drawFunctionPatterns() {
        // 6.3.5 timing patterns: alternating modules on row 6 and column 6.
        for i in 0..<size {
            setFunction(6, i, i % 2 == 0)
            setFunction(i, 6, i % 2 == 0)
        }
        // 6.3.3 finder patterns with their separators, in three corners.
        drawFinder(3, 3)
        drawFinder(size - 4, 3)
        drawFinder(3, size - 4)
        // 6.3.6 alignment patterns, except where they would overlap a finder.
        let positions = alignmentPositions
        let last = positions.count - 1
        for (i, y) in positions.enumerated() {
            for (j, x) in positions.enumerated() where !((i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)) {
                drawAlignment(x, y)
            }
        }
        // Reserve the format areas (drawn for real once the mask is known) and draw the version information.
        drawFormatBits(mask: 0)
        drawVersion()
    }

    /// Centre coordinates of the alignment patterns (Annex E), as rows and columns.
    var alignmentPositions: [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        var result = [6]
        var position = size - 7
        var tail: [Int] = []
        for _ in 1..<count {
            tail.insert(position, at: 0)
            position -= step
        }
        result += tail
        return result
    }

    private mutating func drawFinder(_ x: Int, _ y: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let distance = max(abs(dx), abs(dy))
                let xx = x + dx, yy = y + dy
                if (0..<size).contains(xx), (0..<size).contains(yy) { setFunction(xx, yy, distance != 2 && distance != 4) }
            }
        }
    }

    private mutating func drawAlignment(_ x: Int, _ y: Int) {
        for dy in -2...2 {
            for dx in -2...2 { setFunction(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
        }
    }

    /// 7.9: the 5 data bits (level M = 00, then the mask) with their BCH(15,5) code, XORed with 101010000010010,
    /// drawn twice around the finders, plus the dark module.
    mutating func drawFormatBits(mask: Int) {
        let bits = Self.formatBits(mask: mask)
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        for i in 0...5 { setFunction(8, i, bit(i)) }
        setFunction(8, 7, bit(6))
        setFunction(8, 8, bit(7))
        setFunction(7, 8, bit(8))
        for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
        for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
        setFunction(8, size - 8, true)
    }

    /// The 15 format bits for level M and `mask`.
    static func formatBits(mask: Int) -> Int {
        let data = 0b00 << 3 | mask  // level M's indicator is 00 (table 12)
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        return (data << 10 | remainder) ^ 0x5412
    }

    /// 7.10: versions 7 and up carry their number with a BCH(18,6) code, in two 6×3 blocks.
    private mutating func drawVersion() {
        guard version >= 7 else { return }
        let bits = Self.versionBits(version)
        for i in 0..<18 {
            let dark = (bits >> i) & 1 == 1
            let a = size - 11 + i % 3, b = i / 3
            setFunction(a, b, dark)
            setFunction(b, a, dark)
        }
    }

    static func versionBits(_ version: Int) -> Int {
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        return version << 12 | remainder
    }

    // MARK: Data (7.7.3)

    /// Places the codewords in two-module columns, zig-zagging up and down from the bottom-right corner and
    /// skipping the vertical timing pattern; remainder bits stay light.
    mutating func placeData(_ codewords: [UInt8]) {
        var i = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for j in 0..<2 {
                    let x = right - j
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    if !isFunction[y][x], i < codewords.count * 8 {
                        modules[y][x] = (codewords[i >> 3] >> (7 - UInt8(i & 7))) & 1 == 1
                        i += 1
                    }
                }
            }
            right -= 2
        }
    }

    /// 7.8.2 table 10: flips every data module where the mask's condition holds.
    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y][x] {
                let flip: Bool
                switch mask {
                case 0: flip = (x + y) % 2 == 0
                case 1: flip = y % 2 == 0
                case 2: flip = x % 3 == 0
                case 3: flip = (x + y) % 3 == 0
                case 4: flip = (x / 3 + y / 2) % 2 == 0
                case 5: flip = x * y % 2 + x * y % 3 == 0
                case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0
                default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if flip { modules[y][x].toggle() }
            }
        }
    }

    // MARK: Mask evaluation (7.8.3)

    /// The penalty score of the current matrix: N1 = 3, N2 = 3, N3 = 40, N4 = 10.
    func penalty() -> Int {
        var score = 0
        let columns = (0..<size).map { x in (0..<size).map { modules[$0][x] } }
        for line in modules + columns {
            // Feature 1: runs of five or more modules of one colour.
            var run = 1
            for i in 1..<size {
                if line[i] == line[i - 1] {
                    run += 1
                } else {
                    if run >= 5 { score += 3 + run - 5 }
                    run = 1
                }
            }
            if run >= 5 { score += 3 + run - 5 }
            // Feature 3: 1:1:3:1:1 dark-light-dark-dark-dark-light-dark with four light modules on either side
            // (outside the symbol counts as light, the quiet zone).
            func light(_ from: Int, _ to: Int) -> Bool { (max(from, 0)..<min(to, size)).allSatisfy { !line[$0] } }
            if size >= 7 {
                for x in 0...(size - 7)
                where line[x] && !line[x + 1] && line[x + 2] && line[x + 3] && line[x + 4] && !line[x + 5] && line[x + 6]
                    && (light(x - 4, x) || light(x + 7, x + 11))
                {
                    score += 40
                }
            }
        }
        // Feature 2: 2×2 blocks of one colour.
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let c = modules[y][x]
                if c == modules[y][x + 1], c == modules[y + 1][x], c == modules[y + 1][x + 1] { score += 3 }
            }
        }
        // Feature 4: 10 points for every 5 % the dark proportion strays from 50 %.
        let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
        let total = size * size
        let k = (abs(dark * 20 - total * 10) + total - 1) / total - 1
        score += k * 10
        return score
    }
}
