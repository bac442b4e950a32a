import ReverifyCore

/// The SSRF guard: a webhook may only reach a private, loopback or link-local address (internal services,
/// cloud metadata at 169.254.169.254) when the operator registered the endpoint with `--allow-private`.
/// It runs when an endpoint is added and again whenever the worker starts sending to the endpoint, on the
/// addresses the host resolves to then; every connection is pinned to the address that was checked, so a
/// DNS answer that changes in between (rebinding) cannot redirect it.
public enum WebhookTargetGuard {
    /// Why a target was refused.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The address to connect to, or a refusal. With `allowPrivate` nothing is resolved here (`nil`):
    /// the HTTP client resolves and connects as usual.
    public static func check(_ url: WebhookURL, allowPrivate: Bool) async throws -> IPAddress? {
        guard !allowPrivate else { return nil }
        let addresses: [IPAddress]
        do {
            addresses = try await AddressResolver.resolve(host: url.host, port: url.port)
        } catch {
            throw Refusal(description: "\(error)")
        }
        return try vet(url, addresses: addresses)
    }

    /// Refuses the target unless every address is public: one private answer is enough to refuse,
    /// because the HTTP client might otherwise fall back to it.
    public static func vet(_ url: WebhookURL, addresses: [IPAddress]) throws -> IPAddress {
        guard let first = addresses.first else { throw Refusal(description: "\(url.host) has no address") }
        if let bad = addresses.first(where: { !$0.scope.isPublic }) {
            let via = url.literalAddress == nil ? "\(url.host) resolves to " : ""
            throw Refusal(
                description: "\(via)\(bad), a \(bad.scope.rawValue) address; pass --allow-private to send webhooks there")
        }
        return first
    }
}
