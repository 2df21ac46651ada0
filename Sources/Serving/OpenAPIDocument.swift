/// The OpenAPI document served at /openapi.yaml: Sources/Serving/Resources/openapi.yaml
/// (docs/openapi.yaml links to it), embedded in the binary at build time.
enum OpenAPIDocument {
    static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
