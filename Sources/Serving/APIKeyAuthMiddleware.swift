import Foundation
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <key>` with an active key. Any failure is the same bare 401,
/// so a caller learns nothing about which keys exist.
public struct APIKeyAuthMiddleware: RouterMiddleware {
    public typealias Context = ServingRequestContext
    let keys: APIKeyRing

    public init(keys: APIKeyRing) { self.keys = keys }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer " else {
            throw Self.unauthorized
        }
        let key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let name = await keys.authenticate(key) else { throw Self.unauthorized }
        var context = context
        context.keyName = name
        return try await next(request, context)
    }

    static var unauthorized: HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a valid API key is required (Authorization: Bearer <key>)")
    }
}
