import ReverifyCore

/// Errors the store reports in terms an operator or a route can act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case duplicateEmail(String)
    case notFound(String)
    case schemaNewerThanBinary(applied: [String])
    case notAReverifyDatabase(String)
    case invalid(String)
    /// The database holds sealed secrets and no master key was given (issue 15.3).
    case masterKeyRequired
    /// The master key given does not open the database's sealed secrets.
    case masterKeyMismatch
    /// The database cannot be reached, or the connection was lost mid-call (issue 14): nothing was written,
    /// or (for a lost `COMMIT`) it is unknown whether it was; clients get 503 and may retry.
    case unavailable(String)

    public var description: String {
        switch self {
        case .duplicateEmail(let email): "a user with email \(email) already exists"
        case .notFound(let what): "\(what) not found"
        case .schemaNewerThanBinary(let applied):
            "the database was migrated by a newer Reverify (unknown migrations: \(applied.joined(separator: ", ")))"
        case .notAReverifyDatabase(let path): "\(path) is not a Reverify database"
        case .invalid(let detail): detail
        case .masterKeyRequired:
            "the database holds encrypted secrets: pass --master-key-file (or set REVERIFY_MASTER_KEY_FILE)"
        case .masterKeyMismatch: "the master key does not decrypt this database's secrets (wrong --master-key-file?)"
        case .unavailable(let detail): detail
        }
    }
}

/// What happened when a code was presented.
public enum CodeRedemption: Sendable, Equatable {
    case unknown
    case expired
    /// Presented a second time: the grant it produced has now been revoked (RFC 9700 4.5).
    case replayed(revokedGrant: GrantID?)
    case rejected(OAuthError)
    case redeemed(code: AuthorizationCodeRecord, grant: GrantRecord, session: SessionRecord)
}

/// What happened when a refresh token was presented.
public enum RefreshRotation: Sendable, Equatable {
    case unknown
    case expired
    /// A rotated-away token came back: the whole family is revoked (RFC 9700 4.14.2).
    case reused(revokedGrant: GrantID)
    case rejected(OAuthError)
    /// `user` is the grant's, read in the same transaction for the tokens' claims (issue 13).
    case rotated(grant: GrantRecord, session: SessionRecord, user: UserRecord?)
}

/// The tokens to mint alongside a redemption, generated before the transaction so the
/// transaction can store their hashes atomically.
public struct TokenIssuance: Sendable {
    public var grantID: GrantID
    public var refreshToken: RefreshTokenRecord?
    public var accessToken: AccessTokenRecord

    public init(grantID: GrantID, refreshToken: RefreshTokenRecord?, accessToken: AccessTokenRecord) {
        self.grantID = grantID
        self.refreshToken = refreshToken
        self.accessToken = accessToken
    }
}

/// The persistence boundary. Routes and the CLI speak to this protocol only; each method is one
/// intention and one transaction, so a PostgreSQL backend can implement it later.
public protocol Store: WebhookStore, HotPathStore, Sendable {
    // MARK: Users
    func createUser(_ user: UserRecord) async throws
    func user(id: UserID) async throws -> UserRecord?
    func user(email: String) async throws -> UserRecord?
    func users() async throws -> [UserRecord]
    func setPasswordHash(_ hash: String, for user: UserID, at: UnixTime) async throws
    func setDisabled(_ disabled: Bool, user: UserID, at: UnixTime) async throws
    /// Stores a user's profile claims (name, given/family name, preferred username).
    func updateProfile(_ user: UserRecord, at: UnixTime) async throws

    // MARK: Clients
    func createClient(_ client: StoredClient) async throws
    func client(id: ClientID) async throws -> StoredClient?
    func clients() async throws -> [StoredClient]
    func setClientSecretHash(_ hash: String, for client: ClientID, at: UnixTime) async throws
    func deleteClient(id: ClientID) async throws

    // MARK: Signing keys
    /// Every key still published, newest first.
    func publishedSigningKeys() async throws -> [SigningKeyRecord]
    func allSigningKeys() async throws -> [SigningKeyRecord]
    /// Adds a key that becomes the active signer; the previous active key is retired but stays published.
    func addActiveSigningKey(_ key: SigningKeyRecord) async throws
    /// Stops publishing a retired key.
    func removeSigningKey(kid: String, at: UnixTime) async throws

    // MARK: Sessions
    /// Stores a new session with its audit row and, when a verification made it, where that happened.
    func createSession(_ session: SessionRecord, audit: AuditRecord, remembering context: VerifiedContext?) async throws
    func session(secretHash: String) async throws -> SessionRecord?
    func session(id: SessionID) async throws -> SessionRecord?
    func sessions(user: UserID?) async throws -> [SessionRecord]
    func touchSession(id: SessionID, at: UnixTime, idleExpiresAt: UnixTime) async throws
    /// Moves `auth_time` forward after an active verification, with its audit row, in one transaction.
    /// The session's secret is replaced in the same transaction (DESIGN 5 "bound to the verifier"): only
    /// the browser that verified receives `newSecretHash`'s secret, and every other copy stops working.
    func recordReauthentication(
        session: SessionID, newSecretHash: String, authTime: UnixTime, amr: [AMR], acr: ACR,
        verifications: VerificationHistory, levels: LevelHistory, audit: AuditRecord, remembering context: VerifiedContext?
    ) async throws
    /// Revokes a session and the grants issued from it — all of them, or (for a sign-out) all but those
    /// with `offline_access`, which exist to outlive the session (OIDC Core 11). Returns `false` if it was not live.
    @discardableResult
    func revokeSession(id: SessionID, at: UnixTime, audit: AuditRecord, keepingOfflineGrants: Bool) async throws -> Bool

    // MARK: Audit
    func appendAudit(_ record: AuditRecord) async throws
    func auditLog(user: UserID?, limit: Int) async throws -> [AuditRecord]

    // MARK: Risk (issue 11)
    /// What is known about this context for this user: device and network seen in a verification before,
    /// failed verifications for the account or the address in the velocity window, and live session flags.
    func riskHistory(
        user: UserID, session: SessionID, deviceHash: String?, networkPrefix: String?, attemptSubject: String,
        ipAddress: String?, at: UnixTime, networkMemory: Seconds, velocityWindow: Seconds
    ) async throws -> RiskHistory
    /// Records the device and network of a completed verification: from now on they are known.
    func rememberVerificationContext(user: UserID, deviceHash: String?, networkPrefix: String?, at: UnixTime) async throws
    /// Flags a session (an operator's or another system's signal), with its audit row.
    func flagSession(id: SessionID, reason: String, until: UnixTime?, at: UnixTime, audit: AuditRecord) async throws
    /// Ends a live flag (a device compliant again).
    func clearSessionFlag(id: SessionID, reason: String, at: UnixTime) async throws
    func addSignalTransmitter(_ transmitter: SignalTransmitterRecord) async throws
    func signalTransmitters() async throws -> [SignalTransmitterRecord]
    func signalTransmitter(issuer: String) async throws -> SignalTransmitterRecord?
    func removeSignalTransmitter(issuer: String) async throws
    /// Records a received SET's `jti`; `false` when it was received before (a replay, RFC 8417 2.2).
    func recordSignal(issuer: String, jti: String, at: UnixTime) async throws -> Bool

    // MARK: Attempts and lockout (issue 9)
    /// Reserves a guess at an account's secrets if its lockout allows one, counting and inserting in one
    /// write transaction; `nil` when the account is locked. `subject` is the hash of the normalised email.
    func reserveAttempt(subject: String, kind: AttemptKind, ipAddress: String?, at: UnixTime, policy: LockoutPolicy)
        async throws -> AttemptReservation?
    func settleAttempt(_ reservation: AttemptReservation, outcome: AttemptOutcome) async throws
    func isLockedOut(subject: String, at: UnixTime, policy: LockoutPolicy) async throws -> Bool
    /// Records a request for a verification email if the lockout and the send limits allow it.
    func reserveEmailSend(
        subject: String, ipAddress: String?, at: UnixTime, limits: OneTimeCodePolicy, lockout: LockoutPolicy
    ) async throws -> EmailSendDecision

    // MARK: Second factors (issue 18)
    /// A user's factors of every kind, confirmed or not, oldest first.
    func factors(user: UserID) async throws -> [FactorRecord]
    func factor(id: FactorID) async throws -> FactorRecord?
    /// Adds a factor, replacing the user's unconfirmed ones of the same kind (an enrolment started again);
    /// `audit` (a `factor_added` row for a factor that counts at once) is written in the same transaction.
    func addFactor(_ factor: FactorRecord, audit: AuditRecord?) async throws
    /// Confirms a pending TOTP enrolment with the step of its first valid code, and writes `audit`, atomically.
    func confirmTOTPFactor(id: FactorID, user: UserID, name: String, step: Int64, at: UnixTime, audit: AuditRecord)
        async throws -> TOTPUse
    /// Records a TOTP code's step as used if it is newer than the last one used, in one write transaction, so
    /// the same code accepted twice in parallel is impossible (RFC 6238 5.2).
    func recordTOTPUse(factor: FactorID, user: UserID, step: Int64, at: UnixTime) async throws -> TOTPUse
    /// Removes one of the user's factors with its audit row; `nil` when the user has no such factor.
    func removeFactor(id: FactorID, user: UserID, audit: AuditRecord) async throws -> FactorRecord?

    // MARK: Passkeys (issue 18)
    /// The user's passkeys with their factor rows, oldest first.
    func passkeys(user: UserID) async throws -> [StoredPasskey]
    /// The passkey with this base64url credential id, whoever owns it.
    func passkey(credentialID: String) async throws -> StoredPasskey?
    /// Adds a verified passkey (a confirmed `passkey` factor plus its credential) and its audit row in one
    /// transaction; `false` when the credential id is already registered.
    func addPasskey(factor: FactorRecord, credential: PasskeyCredentialRecord, audit: AuditRecord) async throws -> Bool
    func savePasskeyChallenge(_ challenge: PasskeyChallengeRecord) async throws
    /// Marks an unexpired, unused challenge of `ceremony` used and returns it; `nil` otherwise (single use).
    func consumePasskeyChallenge(hash: String, ceremony: PasskeyCeremonyKind, at: UnixTime) async throws -> PasskeyChallengeRecord?
    /// Stores a verified assertion's counter and backup state, conditional on the counter it was checked against.
    func recordPasskeyUse(factor: FactorID, previous: PasskeyState, next: PasskeyState, at: UnixTime) async throws -> PasskeyUse

    // MARK: Authorization
    /// Stores a hosted flow's request, and with it in the same transaction `audit`: the decision that started it.
    func saveAuthorizationRequest(_ request: AuthorizationRequestRecord, audit: AuditRecord?) async throws
    func authorizationRequest(id: AuthorizationRequestID) async throws -> AuthorizationRequestRecord?
    /// Marks the hosted flow complete and stores its code atomically; `false` if it was already complete.
    func completeAuthorizationRequest(id: AuthorizationRequestID, code: AuthorizationCodeRecord, at: UnixTime)
        async throws -> Bool
    /// Ties a sign-in flow to the session its first verification created, for the steps that follow.
    func bindAuthorizationRequest(id: AuthorizationRequestID, session: SessionID, user: UserID) async throws
    /// Ends a hosted flow that continues without a code (an account-security re-verification); `false` if it
    /// was already complete.
    func finishAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime) async throws -> Bool
    /// Ends a hosted flow without a code (cancelled); `false` if it was already complete.
    func cancelAuthorizationRequest(id: AuthorizationRequestID, at: UnixTime, audit: AuditRecord) async throws -> Bool
    func insertCode(_ code: AuthorizationCodeRecord) async throws
    /// Stores a pushed authorization request (RFC 9126) under the hash of its `request_uri`.
    func savePushedRequest(_ request: PushedRequestRecord) async throws
    /// Takes a pushed request once: `nil` when unknown, another client's, expired or already used.
    func consumePushedRequest(uriHash: String, client: ClientID, at: UnixTime) async throws -> PushedRequestRecord?
    /// Records a request object's `jti` until it expires; `false` when it was already used (a replay).
    func recordRequestObjectJTI(client: ClientID, jti: String, expiresAt: UnixTime, at: UnixTime) async throws -> Bool
    /// Records a client assertion's `jti` until it expires (RFC 7523 3); `false` when it was already used.
    func recordClientAssertionJTI(client: ClientID, jti: String, expiresAt: UnixTime, at: UnixTime) async throws -> Bool
    /// Redeems a code once: `validate` sees the stored binding (client, redirect URI, PKCE) and the session
    /// before anything is written; on success the grant and its tokens are stored in the same transaction.
    /// A replay revokes the grant and writes `replayAudit` (with the revoked grant added) in the same transaction.
    func redeemCode(
        hash: String, at: UnixTime, issuance: TokenIssuance, replayAudit: AuditRecord,
        validate: @escaping @Sendable (AuthorizationCodeRecord, SessionRecord) -> OAuthError?
    ) async throws -> CodeRedemption
    /// Reuse of a rotated token revokes the family and writes `reuseAudit` in the same transaction, unless
    /// it comes back within `reuseGrace` of its rotation (a relying party's parallel refreshes): then it
    /// yields a sibling of its successor. `validate` (the client binding) runs before either.
    func rotateRefreshToken(
        hash: String, at: UnixTime, issuance: TokenIssuance, reuseAudit: AuditRecord, reuseGrace: Seconds,
        validate: @escaping @Sendable (GrantRecord) -> OAuthError?
    ) async throws -> RefreshRotation
    func grant(id: GrantID) async throws -> GrantRecord?
    func revokeGrant(id: GrantID, at: UnixTime, reason: String) async throws
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    func accessToken(jti: String) async throws -> AccessTokenRecord?
    /// Stores an access token minted by token exchange (RFC 8693) under the subject token's grant, so revoking
    /// the person's grant revokes it too, with its `token.exchanged` audit row, in one transaction.
    func recordTokenExchange(token: AccessTokenRecord, audit: AuditRecord) async throws
    /// Consumes a one-shot access token (revokes it); `true` only for the one call that did.
    func consumeOneShotAccessToken(jti: String, at: UnixTime) async throws -> Bool

    // MARK: Agent approvals (OpenID CIBA, issue 12 item 4)
    /// Stores a new backchannel authentication request with its `agent.approval_requested` audit row.
    func createApproval(_ approval: ApprovalRecord, audit: AuditRecord) async throws
    func approval(id: ApprovalID) async throws -> ApprovalRecord?
    func approval(linkHash: String) async throws -> ApprovalRecord?
    func approval(requestHash: String) async throws -> ApprovalRecord?
    /// Newest first; only one user's, and only those still pending at `pendingAt`, when given.
    func approvals(user: UserID?, pendingAt: UnixTime?) async throws -> [ApprovalRecord]
    /// Begins the approval's verification in this browser and stores its hosted flow; `false` when the
    /// approval is no longer pending (nothing stored).
    func startApprovalVerification(id: ApprovalID, flow: AuthorizationRequestRecord, at: UnixTime) async throws -> Bool
    /// Completes the hosted flow of an approval's verification (no code) and notes the verified session;
    /// `false` if the flow was already complete.
    func completeApprovalVerification(
        request: AuthorizationRequestID, approval: ApprovalID, session: SessionID, at: UnixTime) async throws -> Bool
    /// Records the person's decision with its audit row, once, while pending; `false` otherwise.
    func decideApproval(
        id: ApprovalID, decision: ApprovalDecision, verification: ApprovingVerification, at: UnixTime, audit: AuditRecord
    ) async throws -> Bool
    /// One poll of the token endpoint, decided by `ApprovalPolling` and applied in the transaction that read
    /// the approval: parallel polls of an approved request yield its tokens once.
    func pollApproval(requestHash: String, client: ClientID, at: UnixTime, issuance: ApprovalIssuance) async throws
        -> ApprovalPoll
    /// Revokes an approval (and the grant it yielded, if any) with its audit row.
    func revokeApproval(id: ApprovalID, at: UnixTime, audit: AuditRecord) async throws -> ApprovalRevocation

    // MARK: Emailed one-time secrets
    /// Stores a new link+code for a pending flow; earlier unconsumed ones for the same flow stop working.
    func createMagicLink(_ link: MagicLinkRecord) async throws
    func recordMagicLinkDelivery(id: String, sentAt: UnixTime?, error: String?) async throws
    func magicLink(tokenHash: String) async throws -> MagicLinkRecord?
    /// The newest link+code sent for a pending flow, whose user a typed code is checked against.
    func newestMagicLink(request: AuthorizationRequestID) async throws -> MagicLinkRecord?
    /// Checks a typed code against the newest link of a flow: counts a wrong attempt, or consumes on success.
    func checkCode(
        request: AuthorizationRequestID, codeHash: @escaping @Sendable (String) -> String, policy: OneTimeCodePolicy, at: UnixTime
    ) async throws -> CodeCheck
    /// Consumes a link by its token; `nil` if it was not usable.
    func consumeMagicLink(tokenHash: String, policy: OneTimeCodePolicy, at: UnixTime) async throws -> MagicLinkRecord?
    func revokeAccessToken(jti: String, at: UnixTime) async throws

    // MARK: Retention (issue 9 item 5)
    /// Deletes expired, ended and delivered rows and old audit rows by `cutoffs`, never anything still usable.
    func prune(_ cutoffs: RetentionCutoffs) async throws -> PruneReport

    // MARK: Operations (issue 15)
    /// Reads the applied migrations; throws when the database does not answer.
    func schemaStatus() async throws -> SchemaStatus
    /// Counts sealed and plaintext secrets (signing keys, webhook secrets, upstream client secrets).
    func secretInventory() async throws -> SecretInventory
    /// Seals every secret still in the clear with the store's master key, in one transaction; returns how many.
    func sealPlaintextSecrets() async throws -> Int
    /// Re-seals every secret under `newSealer` (master key rotation), in one transaction; returns how many.
    func resealSecrets(with newSealer: any SecretSealing) async throws -> Int
    /// Every webhook endpoint's queue: undelivered count, oldest undelivered, attempts and dead letters.
    func webhookQueueStats() async throws -> [WebhookQueueStats]

    // MARK: Upstream SSO (issue 6)
    /// Adds a provider; a name already in use is `invalid`.
    func createUpstreamProvider(_ provider: UpstreamProviderRecord) async throws
    func upstreamProviders() async throws -> [UpstreamProviderRecord]
    func upstreamProvider(id: UpstreamProviderID) async throws -> UpstreamProviderRecord?
    func upstreamProvider(name: String) async throws -> UpstreamProviderRecord?
    /// Removes a provider with its links and pending redirects.
    func deleteUpstreamProvider(id: UpstreamProviderID) async throws
    /// Replaces the domains for which a provider's first sign-ins link by email (issue 9 item 6).
    func setUpstreamLinkDomains(_ domains: [String], for id: UpstreamProviderID) async throws
    /// Links a user to an upstream subject; refused (`invalid`) if either side is already linked.
    func linkIdentity(_ identity: UserIdentityRecord) async throws
    func identity(provider: UpstreamProviderID, subject: String) async throws -> UserIdentityRecord?
    func identities(user: UserID) async throws -> [UserIdentityRecord]
    func saveUpstreamState(_ state: UpstreamStateRecord) async throws
    /// Marks a pending upstream redirect used, whatever happens next: a state works once (RFC 9700 4.7.1).
    func claimUpstreamState(hash: String, at: UnixTime) async throws -> UpstreamStateClaim
}

extension Store {
    /// A session no verification context comes with (tests, imports).
    public func createSession(_ session: SessionRecord, audit: AuditRecord) async throws {
        try await createSession(session, audit: audit, remembering: nil)
    }

    public func recordReauthentication(
        session: SessionID, newSecretHash: String, authTime: UnixTime, amr: [AMR], acr: ACR,
        verifications: VerificationHistory, levels: LevelHistory, audit: AuditRecord
    ) async throws {
        try await recordReauthentication(
            session: session, newSecretHash: newSecretHash, authTime: authTime, amr: amr, acr: acr,
            verifications: verifications, levels: levels, audit: audit, remembering: nil)
    }

    /// Revokes a session and every grant issued from it (an operator's or a security decision).
    @discardableResult
    public func revokeSession(id: SessionID, at: UnixTime, audit: AuditRecord) async throws -> Bool {
        try await revokeSession(id: id, at: at, audit: audit, keepingOfflineGrants: false)
    }
}
