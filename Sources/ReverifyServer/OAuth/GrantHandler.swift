import Hummingbird
import ReverifyCore
import ReverifyStore

/// One grant type at the token endpoint (after fosite's handlers): adding token exchange later means
/// adding a handler, not editing the others.
protocol GrantHandler: Sendable {
    var grantType: String { get }
    func handle(_ form: RequestParameters, client: StoredClient, request: Request, context: ReverifyRequestContext)
        async throws -> Result<TokenMinter.Minted, OAuthError>
}
