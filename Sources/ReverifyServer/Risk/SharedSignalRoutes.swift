import Foundation
import Hummingbird
import JWTKit
import ReverifyCore
import ReverifyStore

/// `POST /ssf/events` (issue 11, item 3): Security Event Tokens (RFC 8417) pushed (RFC 8935) by a registered
/// transmitter (`reverify signals add`). CAEP session-revoked ends the subject's sessions; credential-change,
/// device-compliance-change and assurance-level-change flag them for the risk policy. Every SET is
/// audited, accepted or not; a refused one changes nothing.
struct SharedSignalRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.post("/ssf/events") { request, context in try await self.receive(request, context: context) }
    }

    func receive(_ request: Request, context: ReverifyRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let token = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        switch try await accept(token) {
        case .failure(let refusal):
            try await audit(.failure, reason: refusal.code.rawValue, detail: ["description": refusal.description], context: context, request: request)
            // RFC 8935 2.3: 400 with {"err", "description"}.
            return try ProtocolResponse.json(["err": refusal.code.rawValue, "description": refusal.description], status: .badRequest)
        case .success(let (type, issuer, touched, user)):
            try await audit(
                .success, reason: type.replacingOccurrences(of: SharedSignalRules.caep, with: ""),
                detail: ["issuer": issuer, "sessions": String(touched)], user: user, context: context, request: request)
            return Response(status: .accepted)
        }
    }

    private func accept(_ token: String) async throws -> Result<(String, String, Int, UserID?), SignalRefusal> {
        guard let jwt = UnverifiedJWT(token), let claims = try? JSONDecoder().decode(SecurityEventClaims.self, from: jwt.payload)
        else { return .failure(.init(.invalidRequest, "the body is not a Security Event Token")) }
        guard let transmitter = try await services.store.signalTransmitter(issuer: claims.iss) else {
            return .failure(.init(.invalidIssuer, "the issuer is not a registered transmitter"))
        }
        guard let alg = jwt.header["alg"] as? String, RequestObjectRules.algorithms.contains(alg) else {
            return .failure(.init(.invalidKey, "the SET must be signed with ES256, EdDSA or RS256"))
        }
        do {
            if let jwks = transmitter.jwks {
                _ = try await JWTKeyCollection().add(jwksJSON: jwks).verify(token, as: SignatureOnly.self, iteratingKeys: true)
            } else if let uri = transmitter.jwksUri {
                try await services.upstream.verifySignature(token, jwksURI: uri)
            }
        } catch {
            return .failure(.init(.invalidKey, "the signature does not verify with the transmitter's keys"))
        }
        let interpreted = SharedSignalRules.interpret(claims, issuer: services.configuration.issuer)
        guard case .success(let (action, target, type)) = interpreted else {
            if case .failure(let refusal) = interpreted { return .failure(refusal) }
            return .failure(.init(.invalidRequest, "unreadable"))
        }
        let now = services.time.now()
        guard try await services.store.recordSignal(issuer: claims.iss, jti: claims.jti ?? "", at: now) else {
            return .failure(.init(.invalidRequest, "this SET (jti) was already received"))
        }
        let (sessions, user) = try await self.sessions(for: target, at: now)
        for session in sessions {
            let audit = AuditRecord(
                at: now, event: .sessionRevoked, outcome: .success, userId: session.userId, sessionId: session.id,
                reason: "ssf_session_revoked", detail: ["issuer": claims.iss])
            switch action {
            case .revokeSessions: try await services.store.revokeSession(id: session.id, at: now, audit: audit)
            case .flag(let flag):
                try await services.store.flagSession(
                    id: session.id, reason: flag, until: nil, at: now,
                    audit: AuditRecord(
                        at: now, event: .riskStepUpRequired, outcome: .info, userId: session.userId, sessionId: session.id,
                        reason: "flagged", detail: ["flag": flag, "source": "ssf", "issuer": claims.iss]))
            case .clearFlag(let flag): try await services.store.clearSessionFlag(id: session.id, reason: flag, at: now)
            }
        }
        return .success((type, claims.iss, sessions.count, user))
    }

    /// The live sessions a subject names.
    private func sessions(for target: SignalTarget, at now: UnixTime) async throws -> ([SessionRecord], UserID?) {
        switch target {
        case .userEmail(let email):
            guard let user = try await services.store.user(email: email) else { return ([], nil) }
            return (try await services.store.sessions(user: user.id).filter { $0.isActive(at: now) }, user.id)
        case .user(let id):
            return (try await services.store.sessions(user: id).filter { $0.isActive(at: now) }, id)
        case .session(let id):
            guard let session = try await services.store.session(id: id), session.isActive(at: now) else { return ([], nil) }
            return ([session], session.userId)
        }
    }

    private func audit(
        _ outcome: AuditOutcome, reason: String, detail: [String: String], user: UserID? = nil,
        context: ReverifyRequestContext, request: Request
    ) async throws {
        try await services.store.appendAudit(
            AuditRecord(
                at: services.time.now(), event: .signalReceived, outcome: outcome, userId: user, reason: reason,
                ipAddress: context.ipAddress, userAgent: request.userAgent, detail: detail))
    }
}
