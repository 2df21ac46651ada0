/// The OpenAPI document served at /openapi.yaml (docs/openapi.yaml is a copy; a test keeps them equal).
enum OpenAPIDocument {
    static let yaml = "openapi: 3.0.3\n"
}
