/// The `claims` request parameter (OIDC Core 5.5): individual claims asked for in the ID token and at
/// userinfo, each voluntary or essential, optionally with the values acceptable.
public struct ClaimsRequest: Codable, Equatable, Sendable {
    public var idToken: [String: ClaimRequest?]?
    public var userinfo: [String: ClaimRequest?]?

    public init(idToken: [String: ClaimRequest?]? = nil, userinfo: [String: ClaimRequest?]? = nil) {
        self.idToken = idToken
        self.userinfo = userinfo
    }

    enum CodingKeys: String, CodingKey {
        case idToken = "id_token"
        case userinfo
    }

    /// OIDC Core 5.5: the parameter is at most this large here; larger is `invalid_request`.
    public static let maximumLength = 4096

    /// The levels an essential `acr` request accepts (from `id_token` or `userinfo`), or `nil` when `acr` is
    /// not requested as essential. An empty array means essential with no value Reverify supports.
    public var essentialACR: [ACR]? {
        let requests = [idToken?["acr"], userinfo?["acr"]].compactMap { $0 ?? nil }.filter { $0.essential == true }
        guard !requests.isEmpty else { return nil }
        let named = requests.flatMap { ($0.values ?? []) + ($0.value.map { [$0] } ?? []) }
        // OIDC Core 5.5.1.1: essential without values asks only that the claim be returned.
        if named.isEmpty { return [.singleFactor] }
        return named.compactMap(ACR.init(rawValue:))
    }
}

/// One entry of a claims request: `null` (default), or `{"essential": …, "value": …, "values": […]}`.
public struct ClaimRequest: Codable, Equatable, Sendable {
    public var essential: Bool?
    public var value: String?
    public var values: [String]?

    public init(essential: Bool? = nil, value: String? = nil, values: [String]? = nil) {
        self.essential = essential
        self.value = value
        self.values = values
    }

    private enum CodingKeys: String, CodingKey { case essential, value, values }

    /// Values of other JSON types (numbers, booleans) belong to claims Reverify does not hold: ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        essential = try c.decodeIfPresent(Bool.self, forKey: .essential)
        value = try? c.decodeIfPresent(String.self, forKey: .value)
        values = try? c.decodeIfPresent([String].self, forKey: .values)
    }
}
