import Foundation
import ReverifyCore
import ReverifyStore

/// The email that asks a person to approve an agent's action: which agent, the binding message verbatim,
/// the details in plain words, and a link to the hosted approval page (issue 12 item 4). The link only
/// shows a page; nothing is approved without a fresh verification and a button press.
struct ApprovalMail {
    let services: Services

    /// What the email and the approval page both show about a request.
    static func values(_ approval: ApprovalRecord, clientName: String) -> [String: Any] {
        let (headline, fields) = ApprovalWording.lines(for: approval.authorizationDetails)
        var values: [String: Any] = [
            "agentName": clientName, "headline": headline, "fields": fields, "hasFields": !fields.isEmpty,
            "action": approval.action,
        ]
        if let binding = approval.bindingMessage { values["bindingMessage"] = binding }
        return values
    }

    func compose(_ approval: ApprovalRecord, to user: UserRecord, client: ClientRecord, linkToken: String) -> MailMessage {
        var values = Self.values(approval, clientName: client.name)
        values["link"] = services.configuration.url(ApprovalPageRoutes.linkPath(linkToken))
        values["minutes"] = max(1, (approval.expiresAt - approval.createdAt).rawValue / 60)
        let mail = services.configuration.mail
        return MailMessage(
            from: mail.from, fromName: mail.fromName, to: user.email,
            subject: "\(MailMessage.headerSafe(client.name)) asks for your approval",
            text: services.pages.fragment("email_approval_text", values: values),
            html: services.pages.fragment("email_approval_html", values: values))
    }

    /// Sends once; a failure is logged and audited (the agent's polls simply stay pending until expiry).
    static func deliver(_ message: MailMessage, approval: ApprovalRecord, services: Services) async {
        do {
            try await services.mailer.send(message)
        } catch {
            services.logger.warning("approval email not sent", metadata: ["error": "\(error)", "approval": "\(approval.id)"])
            let audit = AuditRecord(
                at: services.time.now(), event: .approvalRequested, outcome: .failure, userId: approval.userId,
                clientId: approval.clientId, reason: "mail_send_failed",
                detail: ["approval_id": approval.id.rawValue, "error": String(String(describing: error).prefix(200))])
            try? await services.store.appendAudit(audit)
        }
    }
}
