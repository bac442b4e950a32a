import Hummingbird
import ReverifyCore
import ReverifyCrypto

/// The two cookies Reverify sets: the session secret and a browser id that binds hosted flows
/// to the browser that started them. `__Host-` prefixed and `Secure` over HTTPS (RFC 6265bis 4.1.3.2).
struct BrowserCookies {
    let configuration: ServerConfiguration

    var sessionName: String { (configuration.isSecure ? "__Host-" : "") + "reverify_session" }
    var browserName: String { (configuration.isSecure ? "__Host-" : "") + "reverify_browser" }

    func sessionSecret(in request: Request) -> String? { request.cookies[sessionName]?.value }
    func browserSecret(in request: Request) -> String? { request.cookies[browserName]?.value }

    /// The session cookie lives as long as the session can (its absolute expiry), never longer.
    func session(_ secret: OpaqueToken, expiresAt: UnixTime, now: UnixTime) -> Cookie {
        cookie(sessionName, secret.value, maxAge: Int(max(0, (expiresAt - now).rawValue)))
    }

    func clearedSession() -> Cookie { cookie(sessionName, "", maxAge: 0) }

    func browser(_ secret: String) -> Cookie {
        cookie(browserName, secret, maxAge: 400 * 86_400)
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.isSecure, httpOnly: true,
            sameSite: .lax)
    }
}
