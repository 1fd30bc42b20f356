import AsyncHTTPClient
import ConcordCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A real `concord serve` process, killed with SIGKILL while reports are being written: every report it
/// answered 201 for must be there when it comes back.
@Suite("Durability of acknowledged writes", .serialized)
struct DurabilityTests {
    /// The `concord` binary built beside the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("concord")
    }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts `concord serve` on a free port and returns the process and its base URL once it listens.
    static func serve(_ dataDir: String) throws -> (Process, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--data-dir", dataDir, "--port", "0", "--log-level", "error"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if let range = text.range(of: "listening on ") {
                let url = text[range.upperBound...].prefix { !$0.isWhitespace }
                return (process, String(url))
            }
        }
        process.terminate()
        throw DurabilityError.didNotStart(String(decoding: seen, as: UTF8.self))
    }

    enum DurabilityError: Error {
        case didNotStart(String)
    }

    @Test("reports answered 201 survive kill -9 of the server straight after")
    func killNine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the concord binary first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-durability-\(UUID().uuidString)").path
        _ = try Self.run(["init", "--data-dir", dir, "--organisation", "Durability test", "--jurisdiction", "TH"])
        let token = try #require(
            try Self.run(["token", "create", "--data-dir", dir, "--role", "analyst"]).split(separator: "\n").last.map(String.init)
        )
        let (server, url) = try Self.serve(dir)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var acknowledged: [(id: String, phone: String)] = []
        let answered = AcknowledgedCount()
        // Writers keep posting; the server is killed while requests are in flight.
        await withTaskGroup(of: [(String, String)].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var mine: [(String, String)] = []
                    for n in 0..<1000 {
                        let phone = "08\(writer)\(String(format: "%07d", n))"
                        var request = HTTPClientRequest(url: url + "/api/v1/reports")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        let body = #"{"typology":"job","identifiers":[{"kind":"phone","value":"\#(phone)"}]}"#
                        request.body = .bytes(ByteBuffer(string: body))
                        guard let response = try? await client.execute(request, timeout: .seconds(5)),
                            response.status == .created,
                            let bytes = try? await response.body.collect(upTo: 1 << 20),
                            let json = try? JSONValue.parse(Array(bytes.readableBytesView)),
                            let id = json["id"]?.stringValue
                        else { break }
                        mine.append((id, phone))
                        answered.count.add(1, ordering: .relaxed)
                    }
                    return mine
                }
            }
            // Kill once enough writes were acknowledged (a loaded machine may take a while to get there),
            // and a little later so that more are in flight.
            let deadline = ContinuousClock.now + .seconds(30)
            while answered.count.load(ordering: .relaxed) < 50 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            try? await Task.sleep(for: .milliseconds(300))
            kill(server.processIdentifier, SIGKILL)
            for await mine in group { acknowledged += mine.map { (id: $0.0, phone: $0.1) } }
        }
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)
        #expect(acknowledged.count > 10, "the server acknowledged too few writes before the kill to prove anything")

        let (restarted, url2) = try Self.serve(dir)
        defer {
            restarted.terminate()
            restarted.waitUntilExit()
        }
        var missing: [String] = []
        for (id, _) in acknowledged {
            var request = HTTPClientRequest(url: url2 + "/api/v1/records/\(id)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status != .ok { missing.append(id) }
        }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged reports were lost")
        if let last = acknowledged.last {
            var request = HTTPClientRequest(url: url2 + "/api/v1/check?kind=phone&value=\(last.phone)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .seconds(5))
            let json = try JSONValue.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
            #expect(json["flagged"] == .bool(true))
        }
        try await client.shutdown()
    }
}

/// How many writes the server acknowledged, shared by the writers.
final class AcknowledgedCount: Sendable {
    let count = Atomic<Int>(0)
}
