/// What a client is: a web application that sends people to the hosted pages, or a workload (a service
/// or an agent) that only talks to the back-channel endpoints (issue 12 item 1).
public enum ClientKind: String, Codable, Sendable, CaseIterable {
    case web
    /// Has no redirect URIs and cannot use `/oauth2/authorize`; authenticates with `private_key_jwt`.
    case workload
}
