import ConcordCore
import ConcordStore
import Foundation
public import Hummingbird
import Logging
public import NIOCore
import Prometheus

/// The request context of Concord's routes: Hummingbird's core context plus the caller's API token.
public struct ConcordRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated token, set by `TokenAuthMiddleware`.
    var token: APIToken?

    /// The client's socket address, for per-address limits on the public page.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// JSON bodies are limited to 32 MiB (a 100,000-item check batch fits); NDJSON bodies are streamed.
    public var maxUploadSize: Int { 32 * 1024 * 1024 }

    /// Throws 401 without a token and 403 when the token's role is below `role`.
    func require(_ role: TokenRole) throws -> APIToken {
        guard let token else { throw Problem.unauthenticated }
        guard token.role >= role else {
            throw Problem.forbidden("this needs a token with role \(role.rawValue) or above; yours is \(token.role.rawValue)")
        }
        return token
    }
}
