import ReverifyCore
import ReverifyStore

extension HostedPageRoutes {
    /// The upstream providers a pending flow may use ("Continue with <N>").
    ///
    /// A pinned sign-in offers only providers the user is linked to: proving someone else's identity there
    /// could never succeed. Re-authentication of a signed-in user also offers providers for the user's email
    /// domain (`--domain`), where a first use links them (``UpstreamAccountLinking/decideForSession``).
    /// Sign-in offers every provider, or only those for the `login_hint`'s email domain when one matches.
    func offeredUpstreams(_ pending: Pending) async throws -> [UpstreamProviderRecord] {
        if let action = pending.record.request.action, let policy = pending.client.actions[action],
            !policy.methods.contains(.federated)
        {
            return []
        }
        let providers = try await services.store.upstreamProviders()
        guard !providers.isEmpty else { return [] }
        if let user = pending.session?.1 ?? pending.pinnedUser {
            let linked = Set(try await services.store.identities(user: user.id).map(\.providerId))
            let linkable = pending.session == nil ? [] : Set(providers.filter {
                !$0.emailDomains.isEmpty && UpstreamIDTokenRules.emailDomainAllowed(user.email, domains: $0.emailDomains)
            }.map(\.id))
            return providers.filter { linked.contains($0.id) || linkable.contains($0.id) }
        }
        if let hint = pending.record.request.loginHint.flatMap(AccountRules.normalizedEmail) {
            let matching = providers.filter { !$0.emailDomains.isEmpty && UpstreamIDTokenRules.emailDomainAllowed(hint, domains: $0.emailDomains) }
            if !matching.isEmpty { return matching }
        }
        return providers
    }

    /// Origins the "Continue with" forms may redirect to, for CSP `form-action` (which governs the redirect
    /// after the POST): the provider's authorization endpoint when known, else its issuer.
    func upstreamFormTargets(_ providers: [UpstreamProviderRecord]) async -> [String] {
        var targets: [String] = []
        for provider in providers {
            let endpoint = await services.upstream.cachedMetadata(issuer: provider.issuer)?.authorization_endpoint
            for uri in [endpoint, provider.issuer].compactMap({ $0 }) {
                if let origin = Self.origin(of: uri), !targets.contains(origin) { targets.append(origin) }
            }
        }
        return targets
    }
}
