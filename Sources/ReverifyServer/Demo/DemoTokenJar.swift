import ReverifyCore
import ReverifyCrypto

/// Where the demo relying party keeps each browser's access token between requests: in memory, keyed by
/// the hash of a random cookie, so the token itself never reaches the browser (a real app would use its
/// server-side session store).
actor DemoTokenJar {
    private struct Entry {
        let accessToken: String
        let expiresAt: UnixTime
    }

    private var entries: [String: Entry] = [:]
    /// A demo holds at most this many browsers; the oldest expiry goes first.
    static let capacity = 1000

    func token(for cookie: String?, now: UnixTime) -> String? {
        guard let cookie, let entry = entries[TokenHash(of: cookie).hex], now < entry.expiresAt else { return nil }
        return entry.accessToken
    }

    func store(_ accessToken: String, for cookie: String, expiresAt: UnixTime, now: UnixTime) {
        entries = entries.filter { now < $0.value.expiresAt }
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
            entries[oldest.key] = nil
        }
        entries[TokenHash(of: cookie).hex] = Entry(accessToken: accessToken, expiresAt: expiresAt)
    }
}
