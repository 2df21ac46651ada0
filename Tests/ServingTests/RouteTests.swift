import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Serving
import Testing

/// Every route and every error, driven in-process through the router (`app.test(.router)`).
@Suite(.serialized) struct RouteTests {
    /// Builds the service for `fixture` and runs `body` against it in-process.
    static func withApp(_ fixture: ServingFixture, requireKeys: Bool = true,
                        _ body: @Sendable (any TestClientProtocol, Handles) async throws -> Void) async throws {
        let parts = try await TrajectoryServer.makeParts(fixture.configuration(requireKeys: requireKeys))
        let app = Application(router: parts.router)
        let service = parts.service
        let handles = Handles(service: service, keys: parts.keys)
        try await app.test(.router) { client in try await body(client, handles) }
        try await service.close()
    }

    /// What a test may reach into besides HTTP.
    struct Handles: Sendable {
        var service: PredictionService
        var keys: APIKeyRing?
    }

    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    static func auth(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

    @Test func openRoutesNeedNoKey() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response)["status"] as? String == "ok")
            }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains("Trajectory"))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml")
                let file = try String(contentsOf: docs, encoding: .utf8)
                #expect(String(buffer: response.body).trimmingCharacters(in: .newlines) == file.trimmingCharacters(in: .newlines),
                        "the served document differs from docs/openapi.yaml")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("trajectory_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"))
                #expect(text.contains("trajectory_model_info{"))
                #expect(text.contains("trajectory_process_resident_memory_bytes"))
            }
            try await client.execute(uri: "/nowhere", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/predict", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/v1/users/someone/events", method: .delete) { #expect($0.status == .methodNotAllowed) }
            // Every metric the Grafana dashboard queries is exported.
            let dashboard = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../docs/grafana-dashboard.json"), encoding: .utf8)
            let names = Set(dashboard.matches(of: /trajectory_[a-z_]+/).map { String($0.output)
                .replacing(/_(bucket|sum|count)$/, with: "") })
            #expect(names.count >= 7)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                for name in names { #expect(text.contains("# TYPE \(name) "), "\(name) is not exported") }
            }
        }
    }

    @Test func apiRoutesRefuseMissingWrongAndRevokedKeysAlike() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, parts in
            let body = Self.json(["history": [fixture.knownItems[0]]])
            var bodies: [String] = []
            for headers: HTTPFields in [[:], [.authorization: "Bearer trj_nope_nope"], [.authorization: "Basic abc"], [.authorization: "Bearer"]] {
                try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    bodies.append(String(buffer: response.body))
                }
            }
            #expect(Set(bodies).count == 1, "a 401 must not say why")
            for (uri, method) in [("/v1/model", HTTPRequest.Method.get), ("/v1/users/u/recommendations", .get), ("/admin/reload", .post)] {
                try await client.execute(uri: uri, method: method) { #expect($0.status == .unauthorized, "\(uri)") }
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: Self.auth(fixture.key), body: body) { #expect($0.status == .ok) }
            // Revoke it: refused once the key ring refreshes.
            let id = fixture.key.split(separator: "_")[1]
            #expect(try await parts.service.store.revokeKey(id: String(id), at: 1))
            try await parts.keys!.refresh()
            try await client.execute(uri: "/v1/predict", method: .post, headers: Self.auth(fixture.key), body: body) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func predictAnswersTopKWithTitlesAndReportsUnknownIds() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, parts in
            let history = Array(fixture.knownItems.prefix(3))
            let headers = Self.auth(fixture.key)
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers,
                                     body: Self.json(["history": history + ["no-such-item"], "k": 5])) { response in
                #expect(response.status == .ok)
                let answer = Self.object(response)
                let items = answer["items"] as? [[String: Any]] ?? []
                #expect(items.count == 5)
                #expect(items.allSatisfy { ($0["title"] as? String)?.hasPrefix("Item ") == true })
                let scores = items.compactMap { $0["score"] as? Double }
                #expect(scores == scores.sorted(by: >))
                #expect(answer["unknown"] as? [String] == ["no-such-item"])
                #expect(answer["history_used"] as? Int == 3)
                #expect(answer["source"] as? String == "model")
                #expect(answer["model"] as? String == parts.service.models.current.card.id)
                // The same answer as ranking directly with the model.
                let model = parts.service.models.current
                let direct = model.rank([.init(ids: model.resolve(history).ids, k: 5, excludeSeen: false)])[0]
                #expect(items.compactMap { $0["item"] as? String } == direct.map(\.item))
            }
            // Integers are ids too; exclude_seen drops the history's items.
            let all = parts.service.models.current.vocabulary - 1
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers,
                                     body: Self.json(["history": history.map { Int($0)! }, "k": all, "exclude_seen": true])) { response in
                #expect(response.status == .ok)
                let items = (Self.object(response)["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
                #expect(items.count == all - Set(history).count)
                #expect(Set(items).isDisjoint(with: history))
            }
            // Nothing known: popularity, and it says so.
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: Self.json(["history": [] as [String]])) { response in
                #expect(response.status == .ok)
                let answer = Self.object(response)
                #expect(answer["source"] as? String == "popularity")
                #expect((answer["items"] as? [Any])?.count == 10)
            }
            // Longer than the model's max length: cut to the most recent items.
            let long = (0..<100).map { fixture.knownItems[$0 % fixture.knownItems.count] }
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: Self.json(["history": long])) { response in
                #expect(Self.object(response)["history_used"] as? Int == parts.service.models.current.maxLength)
            }
        }
    }

    /// Report row S13 / schemathesis ST201: integers written as fractions or with an exponent
    /// are refused where the schema says integer (JSONDecoder alone would read 753.0 as 753).
    @Test func fractionsWhereIntegersBelongAre400s() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            let headers = Self.auth(fixture.key)
            let cases: [(String, String, String)] = [
                ("/v1/predict", "{\"history\": [753.0]}", "history[0] must be a string or an integer, got 753"),
                ("/v1/predict", "{\"history\": [\"1\", 5.37e2]}", "history[1]"),
                ("/v1/predict", "{\"history\": [\"1\"], \"k\": 3.0}", "k must be an integer"),
                ("/v1/predict", "{\"history\": [\"1\"], \"k\": 1e1}", "k must be an integer"),
                ("/v1/predict/batch", "{\"requests\": [{\"history\": [0.0]}]}", "requests[0].history[0]"),
                ("/v1/users/u1/events", "{\"events\": [{\"item\": 2.0}]}", "events[0].item"),
            ]
            for (uri, body, expected) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let message = ((Self.object(response)["error"] as? [String: Any])?["message"] as? String) ?? ""
                    #expect(message.contains(expected), "\(body): \(message)")
                }
            }
            // Integers and strings still pass.
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers,
                                     body: ByteBuffer(string: "{\"history\": [\"1\", 2], \"k\": 3}")) { #expect($0.status == .ok) }
        }
    }

    @Test func badRequestsAre400sNamingTheProblem() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            let headers = Self.auth(fixture.key)
            let cases: [(String, String, String)] = [
                ("/v1/predict", "{\"history\": [\"1\"", "not valid"),
                ("/v1/predict", "{\"k\": 3}", "history"),
                ("/v1/predict", "{\"history\": \"1,2\"}", "history"),
                ("/v1/predict", "{\"history\": [\"1\", true]}", "history[1]"),
                ("/v1/predict", "{\"history\": [\"1\"], \"k\": \"ten\"}", "k"),
                ("/v1/predict", "{\"history\": [\"1\"], \"k\": 0}", "k must be between 1 and 1000"),
                ("/v1/predict", "{\"history\": [\"1\"], \"k\": 1001}", "k must be between 1 and 1000"),
                ("/v1/predict/batch", "{\"requests\": []}", "requests must hold"),
                ("/v1/predict/batch", "{\"requests\": [{\"history\": [\"1\"], \"k\": -1}]}", "requests[0].k"),
                ("/v1/users/u1/events", "{\"events\": []}", "events must hold"),
                ("/v1/users/u1/events", "{\"events\": [{\"item\": \"\"}]}", "events[0].item"),
                ("/v1/users/u1/events", "{\"events\": [{\"timestamp\": 5}]}", "item"),
            ]
            for (uri, body, expected) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let message = ((Self.object(response)["error"] as? [String: Any])?["message"] as? String) ?? ""
                    #expect(message.contains(expected), "\(body): \(message)")
                }
            }
            for uri in ["/v1/users/u1/recommendations?k=zero", "/v1/users/u1/recommendations?k=0",
                        "/v1/users/u1/recommendations?exclude_seen=maybe", "/v1/items?limit=0"] {
                try await client.execute(uri: uri, method: .get, headers: headers) { #expect($0.status == .badRequest, "\(uri)") }
            }
            let huge = ByteBuffer(string: "{\"history\": [" + String(repeating: "\"123456\",", count: 200_000) + "\"1\"]}")
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: huge) { #expect($0.status == .contentTooLarge) }
        }
    }

    @Test func batchAnswersInOrderLikeSinglePredictions() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            let headers = Self.auth(fixture.key)
            let histories = (0..<12).map { i in (0...(i % 4)).map { fixture.knownItems[($0 + i) % fixture.knownItems.count] } }
            func ranking(_ answer: [String: Any]) -> [RecommendedItem] {
                (answer["items"] as? [[String: Any]] ?? []).compactMap { entry in
                    (entry["item"] as? String).map { RecommendedItem(item: $0, title: nil, score: entry["score"] as? Double ?? .nan) }
                }
            }
            var singles: [[RecommendedItem]] = []
            for history in histories {
                try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: Self.json(["history": history, "k": 4])) { response in
                    singles.append(ranking(Self.object(response)))
                }
            }
            let requests = histories.map { ["history": $0, "k": 4] as [String: Any] }
            try await client.execute(uri: "/v1/predict/batch", method: .post, headers: headers, body: Self.json(["requests": requests])) { response in
                #expect(response.status == .ok)
                let results = Self.object(response)["results"] as? [[String: Any]] ?? []
                let batched = results.map(ranking)
                #expect(batched.count == singles.count)
                for (b, s) in zip(batched, singles) { #expect(sameRanking(b, s), "\(b) vs \(s)") }
            }
        }
    }

    @Test func userEventsAreStoredAndDriveRecommendations() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            let headers = Self.auth(fixture.key)
            // No history yet: popularity.
            try await client.execute(uri: "/v1/users/alice/recommendations?k=3", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let answer = Self.object(response)
                #expect(answer["history_length"] as? Int == 0)
                #expect((answer["prediction"] as? [String: Any])?["source"] as? String == "popularity")
            }
            let events = [["item": fixture.knownItems[0], "timestamp": 100], ["item": fixture.knownItems[1]], ["item": "brand-new"]] as [[String: Any]]
            try await client.execute(uri: "/v1/users/alice/events", method: .post, headers: headers, body: Self.json(["events": events])) { response in
                #expect(response.status == .ok)
                let answer = Self.object(response)
                #expect(answer["accepted"] as? Int == 3)
                #expect(answer["history_length"] as? Int == 3)
                #expect(answer["unknown"] as? [String] == ["brand-new"])
            }
            try await client.execute(uri: "/v1/users/alice/events", method: .post, headers: headers,
                                     body: Self.json(["events": [["item": Int(fixture.knownItems[2])!]]])) { response in
                #expect(Self.object(response)["history_length"] as? Int == 4)
            }
            try await client.execute(uri: "/v1/users/alice/recommendations?k=5&exclude_seen=true", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let answer = Self.object(response)
                #expect(answer["history_length"] as? Int == 4)
                let prediction = answer["prediction"] as? [String: Any] ?? [:]
                #expect(prediction["source"] as? String == "model")
                #expect(prediction["history_used"] as? Int == 3)
                #expect(prediction["unknown"] as? [String] == ["brand-new"])
                let items = (prediction["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
                #expect(items.count == 5)
                #expect(Set(items).isDisjoint(with: fixture.knownItems.prefix(3)))
            }
        }
    }

    @Test func modelItemsStatsAndReload() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, parts in
            let headers = Self.auth(fixture.key)
            try await client.execute(uri: "/v1/model", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let card = Self.object(response)
                #expect(card["kind"] as? String == "sasrec")
                #expect(card["trained_epochs"] as? Int == 2)
                #expect(card["max_length"] as? Int == 16)
                #expect((card["validation"] as? [String: Any])?["NDCG@10"] != nil)
            }
            try await client.execute(uri: "/v1/items?q=item%2012&limit=5", method: .get, headers: headers) { response in
                let items = Self.object(response)["items"] as? [[String: Any]] ?? []
                #expect(!items.isEmpty)
                #expect(items.allSatisfy { ($0["title"] as? String)?.lowercased().contains("item 12") == true })
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: headers) { response in
                let stats = Self.object(response)
                #expect((stats["requests"] as? Int ?? 0) >= 2)
                #expect((stats["resident_bytes"] as? Int ?? 0) > 0)
            }
            let before = parts.service.models.current
            try await client.execute(uri: "/admin/reload", method: .post, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response)["model"] as? String == before.card.id)
            }
            #expect(parts.service.models.current !== before, "a reload loads a fresh model")
            // A broken checkpoint: the reload fails and the old model keeps serving.
            try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: fixture.run + "/best.safetensors"))
            try await client.execute(uri: "/admin/reload", method: .post, headers: headers) { #expect($0.status == .internalServerError) }
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers,
                                     body: Self.json(["history": [fixture.knownItems[0]]])) { #expect($0.status == .ok) }
        }
    }

    @Test(arguments: ["lstm", "gru4rec"])
    func everyModelKindServes(_ kind: String) async throws {
        let fixture = try await ServingFixture.make(model: kind)
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, handles in
            let headers = Self.auth(fixture.key)
            let history = Array(fixture.knownItems.prefix(4))
            try await client.execute(uri: "/v1/predict", method: .post, headers: headers, body: Self.json(["history": history, "k": 6])) { response in
                #expect(response.status == .ok)
                let items = (Self.object(response)["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
                let model = handles.service.models.current
                #expect(items == model.rank([.init(ids: model.resolve(history).ids, k: 6, excludeSeen: false)])[0].map(\.item))
            }
            try await client.execute(uri: "/v1/model", method: .get, headers: headers) { #expect(Self.object($0)["kind"] as? String == kind) }
        }
    }

    @Test func headIsAnsweredLikeGetAndAnswersCarryHardeningHeaders() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, _ in
            for path in ["/healthz", "/", "/metrics"] {
                try await client.execute(uri: path, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(path)")
                    #expect(response.body.readableBytes == 0, "HEAD \(path)")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HeadAndSecurityHeadersMiddleware.frameOptions] == "DENY")
            }
            try await client.execute(uri: "/v1/predict", method: .head) { #expect($0.status == .methodNotAllowed) }
        }
    }

    @Test func readinessFailsWhenTheStoreIsGone() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture) { client, handles in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await handles.service.store.close()
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok, "alive, just not ready") }
        }
    }

    @Test func keylessServingOnlyOnLoopback() async throws {
        var configuration = ServerConfiguration(run: "unused")
        configuration.requireKeys = false
        configuration.host = "0.0.0.0"
        #expect(throws: ServingError.self) { try configuration.validate() }
        configuration.host = "127.0.0.1"
        try configuration.validate()
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        try await Self.withApp(fixture, requireKeys: false) { client, _ in
            try await client.execute(uri: "/v1/predict", method: .post, body: Self.json(["history": [fixture.knownItems[0]]])) {
                #expect($0.status == .ok)
            }
        }
    }
}
