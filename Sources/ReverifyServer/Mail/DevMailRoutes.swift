import Foundation
import Hummingbird

/// `GET /dev/mail`: the local outbox, for development only (`reverify serve --dev`).
struct DevMailRoutes {
    let services: Services

    func register(on router: Router<ReverifyRequestContext>) {
        router.get("/dev/mail") { _, _ in
            guard case .outbox(let directory) = services.configuration.mail.transport else {
                return services.pages.error("Mail goes to an SMTP server, not the local outbox.", status: .notFound)
            }
            let formatter = ISO8601DateFormatter()
            let messages = FileOutboxMailer(directory: directory).entries().map {
                ["id": $0.id, "to": $0.to, "subject": $0.subject, "text": $0.text, "date": formatter.string(from: $0.createdAt)]
            }
            return services.pages.page(
                "dev_mail", title: "Outbox", values: ["messages": messages, "empty": messages.isEmpty, "directory": directory])
        }
    }
}
