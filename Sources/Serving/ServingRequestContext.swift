import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, the body limit, and the name of the API
/// key that authenticated the request (set by `APIKeyAuthMiddleware`).
public struct ServingRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated key's name, for logs.
    public var keyName: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Bodies larger than this are refused with 413 before they are read.
    public var maxUploadSize: Int { 1 << 20 }

    /// JSON bodies, with errors that name the field in the API's terms.
    public var requestDecoder: ReadableJSONDecoder { ReadableJSONDecoder() }
}
