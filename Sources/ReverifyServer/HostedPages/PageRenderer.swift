import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the hosted pages from the Mustache templates under `Resources/templates`.
///
/// Mustache's `{{value}}` HTML-escapes, so user-controlled text (emails, client names) is safe to show.
public struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    public init(directory: String) async throws {
        self.library = try await MustacheLibrary(directory: directory)
    }

    /// A full HTML page: `layout` wrapping the named template.
    /// - Parameters:
    ///   - formTargets: origins the page's forms may end up at (CSP `form-action` follows redirects).
    ///   - scripts: whether the page loads `passkey.js`, the one script hosted pages have (issue 18); only then
    ///     does its CSP allow `script-src 'self'`.
    func page(
        _ template: String, title: String, values: [String: Any], status: HTTPResponse.Status = .ok,
        formTargets: [String] = [], scripts: Bool = false
    ) -> Response {
        let content = library.render(values, withTemplate: template) ?? ""
        let html = library.render(["title": title, "content": content, "passkeyScript": scripts], withTemplate: "layout") ?? content
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        SecurityHeaders.apply(to: &headers, formTargets: formTargets, scripts: scripts)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A template rendered on its own (email bodies).
    func fragment(_ template: String, values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }

    /// The page shown when a request cannot be answered by redirect (RFC 6749 4.1.2.1).
    func error(_ message: String, title: String = "This request can't be completed", status: HTTPResponse.Status = .badRequest)
        -> Response
    {
        page("error", title: title, values: ["heading": title, "message": message], status: status)
    }
}

/// Headers every hosted page carries: no framing, no caching, no referrer leaks, a strict CSP.
enum SecurityHeaders {
    static func apply(to headers: inout HTTPFields, formTargets: [String], scripts: Bool = false) {
        let formAction = (["'self'"] + formTargets).joined(separator: " ")
        headers[.contentSecurityPolicy] =
            "default-src 'none'; " + (scripts ? "script-src 'self'; " : "")
            + "style-src 'self'; img-src 'self' data:; form-action \(formAction); "
            + "frame-ancestors 'none'; base-uri 'none'"
        headers[.xFrameOptions] = "DENY"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.cacheControl] = "no-store"
        headers[.pragma] = "no-cache"
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let pragma = Self("Pragma")!
}
