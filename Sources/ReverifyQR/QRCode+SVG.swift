extension QRCode {
    /// The symbol as a standalone SVG: dark modules as one path on a white square, with the 4-module quiet zone
    /// the standard requires (ISO/IEC 18004 6.3.8), so a phone camera can find it on any background.
    ///
    /// - Parameter moduleSize: rendered width of one module in CSS pixels.
    public func svg(moduleSize: Int = 5, title: String = "QR code") -> String {
        let border = 4
        let dimension = size + 2 * border
        var path = ""
        for (y, row) in modules.enumerated() {
            var x = 0
            while x < size {
                guard row[x] else {
                    x += 1
                    continue
                }
                let start = x
                while x < size, row[x] { x += 1 }
                path += "M\(start + border),\(y + border)h\(x - start)v1h-\(x - start)z"
            }
        }
        let pixels = dimension * moduleSize
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 \(dimension) \(dimension)\" "
            + "width=\"\(pixels)\" height=\"\(pixels)\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"\(Self.escaped(title))\">"
            + "<rect width=\"\(dimension)\" height=\"\(dimension)\" fill=\"#ffffff\"/>"
            + "<path d=\"\(path)\" fill=\"#000000\"/></svg>"
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
