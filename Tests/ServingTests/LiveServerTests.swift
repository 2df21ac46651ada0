import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Serving
import Synchronization
import Testing
import TestSupport

/// The service over real sockets: Hummingbird's live test server, and the `trajectory serve`
/// binary killed with SIGKILL in the middle of a burst of event writes.
@Suite(.serialized) struct LiveServerTests {
    static var binary: String { TrajectoryProcess.binary }

    @Test func predictionsOverLoopback() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let parts = try await TrajectoryServer.makeParts(fixture.configuration())
        let app = Application(router: parts.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let body = ByteBuffer(string: "{\"history\": [\"\(fixture.knownItems[0])\", \"\(fixture.knownItems[1])\"], \"k\": 3}")
        try await app.test(.live) { client in
            try await client.execute(uri: "/v1/predict", method: .post, headers: [.authorization: "Bearer \(fixture.key)"], body: body) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((object?["items"] as? [Any])?.count == 3)
            }
            try await client.execute(uri: "/v1/predict", method: .post, body: body) { #expect($0.status == .unauthorized) }
        }
        try await parts.service.close()
    }

    /// A port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `trajectory serve` and waits until /healthz answers.
    static func startServer(_ fixture: ServingFixture, port: Int, client: HTTPClient, watchSeconds: String = "0",
                            standardError: Any? = nil) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", fixture.run, "--port", String(port), "--db", fixture.database, "--no-auth", "--watch-seconds", watchSeconds,
                             "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        if let standardError { process.standardError = standardError }
        try process.run()
        for _ in 0..<200 {
            if let response = try? await client.get(url: "http://127.0.0.1:\(port)/healthz").get(), response.status == .ok { return process }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServingError.configuration("the server did not start on port \(port)")
    }

    @Test func everyAcknowledgedEventSurvivesKill9() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let client = HTTPClient.shared
        let port = try Self.freePort()
        let server = try await Self.startServer(fixture, port: port, client: client)

        // Eight writers post small batches of events until the server dies under them.
        let acknowledged = Acknowledged()
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for call in 0..<100_000 {
                            let items = ["w\(writer)-\(call)-a", "w\(writer)-\(call)-b"]
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/users/writer\(writer)/events")
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.body = .bytes(ByteBuffer(string: "{\"events\": [{\"item\": \"\(items[0])\"}, {\"item\": \"\(items[1])\"}]}"))
                            guard let response = try? await client.execute(request, timeout: .seconds(5)), response.status == .ok else { return }
                            acknowledged.items.withLock { $0["writer\(writer)", default: []].append(contentsOf: items) }
                        }
                    }
                }
            }
        }
        while acknowledged.items.withLock({ $0.values.map(\.count).reduce(0, +) }) < 400 { try await Task.sleep(for: .milliseconds(5)) }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        await writers.value
        #expect(server.terminationReason == .uncaughtSignal)

        // Restarted on the same store: every acknowledged event is there, in order.
        let restarted = try await Self.startServer(fixture, port: port, client: client)
        defer { restarted.terminate(); restarted.waitUntilExit() }
        let expected = acknowledged.items.withLock { $0 }
        #expect(expected.values.map(\.count).reduce(0, +) >= 400)
        let store = try SQLiteStore(path: fixture.database)
        for (user, items) in expected {
            let stored = try await store.recentItems(user: user, limit: 100_000).items
            #expect(Array(stored.prefix(items.count)) == items, "\(user): \(items.count) acknowledged, \(stored.count) stored")
            let response = try await client.get(url: "http://127.0.0.1:\(port)/v1/users/\(user)/recommendations?k=1").get()
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body ?? ByteBuffer())) as? [String: Any]
            #expect((object?["history_length"] as? Int ?? 0) >= items.count)
        }
        try await store.close()
    }

    /// Events the server answered 200 for, by user.
    final class Acknowledged: Sendable {
        let items = Mutex<[String: [String]]>([:])
    }

    @Test func sigtermStopsGracefully() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let client = HTTPClient.shared
        let server = try await Self.startServer(fixture, port: try Self.freePort(), client: client)
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
    }

    /// `make demo`'s last step, 50 times: start, one prediction, SIGTERM at once. The checkpoint
    /// watcher's cancelled sleep once escaped as `Error: CancellationError()` and exit 1.
    @Test func startPredictSigtermFiftyTimesExitsZero() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let client = HTTPClient.shared
        let body = "{\"history\": [\"\(fixture.knownItems[0])\", \"\(fixture.knownItems[1])\"], \"k\": 5, \"exclude_seen\": true}"
        for cycle in 0..<50 {
            let port = try Self.freePort()
            let errors = Pipe()
            // The demo's default interval, and a short one so the sleep is often in flight.
            let server = try await Self.startServer(fixture, port: port, client: client, watchSeconds: cycle % 2 == 0 ? "2" : "0.01",
                                                    standardError: errors)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/predict")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            server.terminate()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            server.waitUntilExit()
            #expect(server.terminationReason == .exit && server.terminationStatus == 0, "cycle \(cycle): status \(server.terminationStatus), \(stderr)")
            #expect(!stderr.contains("Error"), "cycle \(cycle): \(stderr)")
        }
    }

    /// A client that sends half a body and hangs up is not a server error: the metrics count it
    /// as 499 (client closed request), never as a 500.
    @Test func aClientAbortingMidBodyIsNotCountedAsAServerError() async throws {
        let fixture = try await ServingFixture.make()
        defer { fixture.remove() }
        let client = HTTPClient.shared
        let port = try Self.freePort()
        let server = try await Self.startServer(fixture, port: port, client: client)
        defer { server.terminate(); server.waitUntilExit() }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let request = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"his"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        try await Task.sleep(for: .milliseconds(200))
        close(fd)

        // The server sees the hang-up when it next reads: poll the metrics for up to 5 s.
        var predictLines: [Substring] = []
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            let metrics = try await client.get(url: "http://127.0.0.1:\(port)/metrics").get()
            let text = String(buffer: metrics.body ?? ByteBuffer())
            predictLines = text.split(separator: "\n").filter { $0.hasPrefix("trajectory_http_requests_total") && $0.contains("/v1/predict\"") }
            if !predictLines.isEmpty { break }
        }
        #expect(!predictLines.contains { $0.contains("status=\"500\"") }, "\(predictLines)")
        #expect(predictLines.contains { $0.contains("status=\"499\"") }, "\(predictLines)")
    }
}
