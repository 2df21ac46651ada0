import Foundation
import Models

extension RunConfiguration {
    /// Whether `train --resume` with `given` continues this (saved) run: the same model and
    /// training options.
    public func resumes(_ given: RunConfiguration) -> Bool {
        settings.isSame(as: given.settings) && training == given.training && features == given.features
    }

    /// The settings (as config.json names them, e.g. `training.epochs`, `sasrec.dropout`) in
    /// which this saved configuration and `given` differ.
    public func differingFields(_ given: RunConfiguration) -> [String] {
        var differing: [String] = []
        func compare(_ prefix: String, _ a: [String: String], _ b: [String: String]) {
            for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] { differing.append(prefix + key) }
        }
        compare("training.", Self.fields(training), Self.fields(given.training))
        if features != given.features { differing.append("features") }
        if model != given.model {
            differing.insert("model", at: 0)
        } else {
            compare(model + ".", Self.settingsFields(settings), Self.settingsFields(given.settings))
        }
        return differing
    }

    /// A model's settings as JSON fields, as text.
    private static func settingsFields(_ settings: any ModelFamily) -> [String: String] {
        let encoder = JSONEncoder()
        struct Wrapper: Encodable {
            let settings: any ModelFamily
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try settings.encode(in: &container, forKey: .settings)
            }
            enum Key: CodingKey { case settings }
        }
        guard let data = try? encoder.encode(Wrapper(settings: settings)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let fields = object["settings"] as? [String: Any] else { return [:] }
        return fields.mapValues { "\($0)" }
    }

    /// A value's top-level JSON fields, as text.
    private static func fields<Value: Encodable>(_ value: Value) -> [String: String] {
        guard let data = try? JSONEncoder().encode(value),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object.mapValues { "\($0)" }
    }
}
