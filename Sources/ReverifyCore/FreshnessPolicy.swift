/// The state of the browser's session as far as freshness is concerned.
public struct SessionSnapshot: Equatable, Sendable {
    public let sessionID: SessionID
    public let userID: UserID
    public let authTime: UnixTime
    /// When each assurance level was last achieved.
    public let levels: LevelHistory

    public init(sessionID: SessionID, userID: UserID, authTime: UnixTime, levels: LevelHistory = LevelHistory()) {
        self.sessionID = sessionID
        self.userID = userID
        self.authTime = authTime
        self.levels = levels
    }
}

/// What the authorization endpoint must do next.
public enum FreshnessDecision: Equatable, Sendable {
    /// The session is fresh enough: issue a code without showing a page.
    case proceed
    /// No session: show the sign-in page (pinned to a user when an `id_token_hint` named one).
    case signIn(pinnedUser: UserID?)
    /// The session is too old for this request: show "Confirm it's you".
    case reauthenticate(ReauthReason)
    /// Return this error to the redirect URI.
    case fail(OAuthError)
}

/// Decides whether the user's last *active* authentication is fresh enough (OIDC Core 3.1.2.1).
public enum FreshnessPolicy {
    /// - Parameters:
    ///   - hintedUser: the subject of a verified `id_token_hint`, if one was sent.
    public static func decide(
        request: AuthorizeRequest, client: RegisteredClient, session: SessionSnapshot?, hintedUser: UserID?,
        now: UnixTime, lifetimes: LevelLifetimes = LevelLifetimes()
    ) -> FreshnessDecision {
        // Unmet Authentication Requirements 1.0: an essential level Reverify cannot offer fails at once.
        if request.demandsUnsupportedLevel {
            return .fail(OAuthError(.unmetAuthenticationRequirements, "no supported acr value was requested as essential"))
        }
        guard let session else {
            // OIDC Core 3.1.2.6: prompt=none and no session → login_required.
            if request.prompt.isNone { return .fail(.loginRequired("the user is not signed in")) }
            return .signIn(pinnedUser: hintedUser)
        }
        // DESIGN 2: a hint for another user never silently switches the session's user.
        if let hintedUser, hintedUser != session.userID {
            return .fail(.loginRequired("id_token_hint names a different user than the current session"))
        }
        if let reason = staleness(request: request, client: client, authTime: session.authTime, now: now) {
            if request.prompt.isNone {
                return .fail(.loginRequired("the session requires re-authentication (\(reason.rawValue))"))
            }
            return .reauthenticate(reason)
        }
        if let required = unmetLevel(request: request, client: client, levels: session.levels, now: now, lifetimes: lifetimes) {
            // OIDC Core 3.1.2.6: a signed-in user who would have to interact.
            if request.prompt.isNone {
                return .fail(OAuthError(.interactionRequired, "the session has not reached \(required.level.rawValue)"))
            }
            return .reauthenticate(.assuranceLevel)
        }
        return .proceed
    }

    /// The level the request needs and the session does not have (issue 10): not achieved, decayed, or
    /// achieved longer ago than `max_age` allows (`max_age` applies to the level asked for).
    public static func unmetLevel(
        request: AuthorizeRequest, client: RegisteredClient, levels: LevelHistory, now: UnixTime, lifetimes: LevelLifetimes
    ) -> LevelRequirement? {
        guard let required = request.levelRequirement(client: client) else { return nil }
        let maxAge = request.effectiveMaxAge(client: client)?.0
        return levels.satisfies(required.level, maxAge: maxAge, at: now, lifetimes: lifetimes) ? nil : required
    }

    /// Why the session's `auth_time` does not satisfy the request, or `nil` when it does.
    public static func staleness(
        request: AuthorizeRequest, client: RegisteredClient, authTime: UnixTime, now: UnixTime
    ) -> ReauthReason? {
        // Issue 11: the risk policy asked for a fresh verification whatever the session's age.
        if request.risk?.outcome == .stepUp { return .risk }
        // OIDC Core 3.1.2.1: prompt=login, and max_age=0 treated as prompt=login.
        if request.demandsLogin { return .promptLogin }
        // OIDC Core 3.1.2.1: "If the elapsed time is greater than this value, the OP MUST attempt to
        // actively re-authenticate the End-User."
        if let (maxAge, reason) = request.effectiveMaxAge(client: client), now - authTime > maxAge {
            return reason
        }
        return nil
    }

    /// DESIGN 2: refuse a code whose session `auth_time` predates what its request demanded,
    /// so a stripped or bypassed re-authentication can never yield a token that looks fresh.
    public static func codeIsRedeemable(minimumAuthTime: UnixTime?, sessionAuthTime: UnixTime) -> Bool {
        guard let minimumAuthTime else { return true }
        return sessionAuthTime >= minimumAuthTime
    }
}
