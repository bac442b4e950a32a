/// A Security Event Token's claims (RFC 8417 2.2) as far as Reverify reads them.
public struct SecurityEventClaims: Decodable, Sendable {
    public let iss: String
    public let aud: Audience?
    public let iat: Int64?
    public let jti: String?
    public let events: [String: SecurityEventBody]?
    /// SSF: the subject may sit at the top level.
    public let subId: SecuritySubject?

    enum CodingKeys: String, CodingKey {
        case iss, aud, iat, jti, events
        case subId = "sub_id"
    }

    /// `aud` is a string or an array of strings (RFC 7519 4.1.3).
    public struct Audience: Decodable, Sendable {
        public let values: [String]
        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
        }
    }
}

/// One event's body (CAEP): its subject and the fields Reverify acts on.
public struct SecurityEventBody: Decodable, Sendable {
    public let subject: SecuritySubject?
    public let currentStatus: String?
    public let changeDirection: String?

    enum CodingKeys: String, CodingKey {
        case subject
        case currentStatus = "current_status"
        case changeDirection = "change_direction"
    }
}

/// A subject identifier (RFC 9493): by email, by our issuer and subject, or an opaque session id.
public struct SecuritySubject: Decodable, Sendable, Equatable {
    public let format: String
    public let email: String?
    public let iss: String?
    public let sub: String?
    public let id: String?
}

/// What Reverify does with a received signal (issue 11, item 3).
public enum SignalAction: Equatable, Sendable {
    /// CAEP session-revoked: end the matching sessions.
    case revokeSessions
    /// Flag the matching sessions for the risk policy (credential change, non-compliant device, a lower level).
    case flag(String)
    /// CAEP device-compliance-change back to compliant: clear the flag.
    case clearFlag(String)
}

/// Which sessions a signal is about.
public enum SignalTarget: Equatable, Sendable {
    case userEmail(String)
    case user(UserID)
    case session(SessionID)
}

/// Why a SET is refused, as the RFC 8935 2.3 error codes name it.
public struct SignalRefusal: Error, Equatable, Sendable {
    public enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case invalidKey = "invalid_key"
        case invalidIssuer = "invalid_issuer"
        case invalidAudience = "invalid_audience"
        case authenticationFailed = "authentication_failed"
        case accessDenied = "access_denied"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// The pure rules for received Security Event Tokens: audience, identity, the event types handled
/// (CAEP session-revoked, credential-change, device-compliance-change, assurance-level-change) and their subject.
public enum SharedSignalRules {
    public static let caep = "https://schemas.openid.net/secevent/caep/event-type/"

    /// The action, the target, and the event type of a verified SET, or the refusal.
    public static func interpret(_ claims: SecurityEventClaims, issuer: String) -> Result<(SignalAction, SignalTarget, String), SignalRefusal> {
        guard claims.aud?.values.contains(issuer) == true else { return .failure(.init(.invalidAudience, "aud must be \(issuer)")) }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else { return .failure(.init(.invalidRequest, "jti is required")) }
        guard let events = claims.events, events.count == 1, let (type, body) = events.first else {
            return .failure(.init(.invalidRequest, "exactly one event is expected"))
        }
        let action: SignalAction
        switch type {
        case caep + "session-revoked": action = .revokeSessions
        case caep + "credential-change": action = .flag("credential_change")
        case caep + "device-compliance-change":
            switch body.currentStatus {
            case "not-compliant": action = .flag("device_not_compliant")
            case "compliant": action = .clearFlag("device_not_compliant")
            default: return .failure(.init(.invalidRequest, "current_status must be compliant or not-compliant"))
            }
        case caep + "assurance-level-change": action = .flag("assurance_level_change")
        default: return .failure(.init(.invalidRequest, "unsupported event type"))
        }
        guard let subject = body.subject ?? claims.subId else { return .failure(.init(.invalidRequest, "the event names no subject")) }
        switch subject.format {
        case "email":
            guard let email = subject.email, let normalised = AccountRules.normalizedEmail(email) else {
                return .failure(.init(.invalidRequest, "email subject without a valid email"))
            }
            return .success((action, .userEmail(normalised), type))
        case "iss_sub":
            guard subject.iss == issuer, let sub = subject.sub, let user = UserID(validating: sub) else {
                return .failure(.init(.invalidRequest, "iss_sub subject must name a user of \(issuer)"))
            }
            return .success((action, .user(user), type))
        case "opaque":
            guard let id = subject.id, let session = SessionID(validating: id) else {
                return .failure(.init(.invalidRequest, "opaque subject must be a session id"))
            }
            return .success((action, .session(session), type))
        default:
            return .failure(.init(.invalidRequest, "unsupported subject format \(subject.format.prefix(32))"))
        }
    }
}
