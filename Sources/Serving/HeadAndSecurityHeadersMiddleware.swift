import HTTPTypes
import Hummingbird

/// HEAD answered like GET without a body (load balancers probe `/healthz` with HEAD; the GET
/// routes are registered for HEAD too, by `getAndHead`), and
/// hardening headers on every answer: no MIME sniffing, no framing, and for the web page a
/// Content-Security-Policy that allows only its own inline script and style and calls to
/// this origin.
public struct HeadAndSecurityHeadersMiddleware: RouterMiddleware {
    public typealias Context = ServingRequestContext

    public init() {}

    public static let frameOptions = HTTPField.Name("X-Frame-Options")!

    static let contentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.method == .head {
            // No body, but the length a GET would have (RFC 9110 §9.3.2), as load balancers expect.
            let length = response.headers[.contentLength]
            response.body = .init()
            response.headers[.contentLength] = length
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.frameOptions] = "DENY"
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        }
        return response
    }
}

extension RouterMethods {
    /// Registers `handler` for GET and for HEAD on `path` (HEAD's body is dropped by the middleware).
    @discardableResult
    func getAndHead<Output: ResponseGenerator>(_ path: RouterPath = "", use handler: @Sendable @escaping (Request, Context) async throws -> Output) -> Self {
        get(path, use: handler)
        return head(path, use: handler)
    }
}
