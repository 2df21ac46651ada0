/// The page served at `/`: model card, live stats and a playground. Filled in below.
enum WebPage {
    static let html = "<!doctype html><title>Trajectory</title>"
}
