/// The page served at `/`: a model card, live request stats, and a playground where a person
/// picks items by title and sees the predicted next items. Plain HTML and JavaScript, no outside
/// resources; it calls the /v1 API with the key the visitor types (kept in localStorage).
/// The page is Sources/Serving/Resources/index.html, embedded in the binary at build time.
enum WebPage {
    static let html = String(decoding: PackageResources.index_html, as: UTF8.self)
}
