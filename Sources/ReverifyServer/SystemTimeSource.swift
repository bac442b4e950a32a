import Foundation
import ReverifyCore

/// Wall-clock time.
public struct SystemTimeSource: TimeSource {
    public init() {}
    public func now() -> UnixTime { UnixTime(Int64(Date().timeIntervalSince1970)) }
}
