import ConcordCore
import ConcordInterop
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `GET /api/v1/stix/bundle`: the node's records as a STIX 2.1 bundle, streamed.
struct STIXController {
    let node: RunningNode

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("stix/bundle", use: bundle)
        group.post("stix/bundle", use: importBundle)
    }

    /// `POST /api/v1/stix/bundle`: imports a bundle. The body goes to a temporary file (a bundle may hold
    /// millions of objects); a bundle whose structure is broken is refused whole with a problem; otherwise the
    /// answer is NDJSON, one result line per object and a summary line last.
    @Sendable func importBundle(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["tlp", "default_tlp"])
        var options = STIXImporter.Options(jurisdiction: node.profile.jurisdiction)
        if let text = q["tlp"] {
            guard let level = TLPLevel(lenient: text) else {
                throw Problem.invalid(pointer: "/tlp", "\"\(text)\" is not a TLP level")
            }
            options.assignedTLP = level
        }
        if let text = q["default_tlp"] {
            guard let level = TLPLevel(lenient: text) else {
                throw Problem.invalid(pointer: "/default_tlp", "\"\(text)\" is not a TLP level")
            }
            options.defaultTLP = level
        }
        let upload = try await SpooledBundle.receive(
            request.body,
            limit: node.limits.maxBundleBytes,
            noun: "bundle",
            readable: "a readable STIX bundle",
            options: options
        )
        let node = self.node
        let logger = context.logger
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                defer { upload.remove() }
                let summary = try await STIXBundleImport.importObjects(
                    file: upload.file,
                    importer: upload.importer,
                    ledger: node.ledger,
                    key: node.key,
                    results: { lines in
                        var out = ByteBuffer()
                        for line in lines {
                            out.writeJSONLine(line)
                        }
                        try await writer.write(out)
                    }
                )
                node.didWrite(summary.created)
                var tail = ByteBuffer()
                tail.writeJSONLine(["summary": summary.json])
                try await writer.write(tail)
                try await writer.finish(nil)
                logger.info(
                    "STIX bundle imported",
                    metadata: [
                        "objects": "\(summary.objects)", "created": "\(summary.created)", "rejected": "\(summary.rejected)",
                    ]
                )
            }
        )
    }

    @Sendable func bundle(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["origin", "since", "kind", "campaigns"])
        var filter = STIXExportFilter()
        if let origin = q["origin"] {
            guard NodeID.isWellFormed(origin) else { throw Problem.invalid(pointer: "/origin", "not a node id") }
            filter.origin = origin
        }
        if let since = q["since"] {
            guard let time = Timestamp(rfc3339: since) else {
                throw Problem.invalid(pointer: "/since", "expected an RFC 3339 time such as 2026-01-31T00:00:00Z")
            }
            filter.since = time
        }
        if let kind = q["kind"] {
            guard let k = RecordKind(rawValue: kind), k == .report || k == .indicator else {
                throw Problem.invalid(pointer: "/kind", "kind is report or indicator")
            }
            filter.kinds = [k]
        }
        filter.campaigns = try q.bool("campaigns") ?? true
        let campaigns =
            node.analysis.isLoaded
            ? node.analysis.campaigns(minimumReports: 2, crossBorderOnly: false, limit: 100_000).campaigns : []
        let node = self.node
        let chosen = filter
        return Response(
            status: .ok,
            headers: [.contentType: "application/stix+json;version=2.1"],
            body: ResponseBody { writer in
                try await STIXBundleExport.write(
                    store: node.store,
                    exporter: node.key.nodeID,
                    names: [node.key.nodeID: node.profile.organisation],
                    campaigns: campaigns,
                    filter: chosen
                ) { bytes in
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
                try await writer.finish(nil)
            }
        )
    }
}

/// A STIX bundle or TAXII envelope received in a request: its body held in a temporary file (a bundle may hold
/// millions of objects), checked and prepared by the first two passes of the import.
struct SpooledBundle: Sendable {
    let file: URL
    let importer: STIXImporter

    /// Removes the temporary file.
    func remove() { try? FileManager.default.removeItem(at: file) }

    /// Writes `body` to a temporary file and runs the import's first two passes. A body over `limit` bytes gets a
    /// 413 problem and one that is not a bundle a 422, both before anything is written to the store; on any
    /// error the file is removed.
    /// - Parameters:
    ///   - noun: what the body is called in the problems ("bundle", "envelope").
    ///   - readable: what a well-formed body is called ("a readable STIX bundle").
    static func receive(
        _ body: RequestBody,
        limit: Int64,
        noun: String,
        readable: String,
        options: STIXImporter.Options
    ) async throws -> SpooledBundle {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("concord-\(noun)-\(UUID().uuidString).json")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw Problem.notReady("the node cannot write a temporary file for the \(noun)")
        }
        do {
            let handle = try FileHandle(forWritingTo: file)
            do {
                var size: Int64 = 0
                for try await buffer in body {
                    size += Int64(buffer.readableBytes)
                    guard size <= limit else {
                        let article = "aeiou".contains(noun.first ?? "x") ? "an" : "a"
                        throw Problem.tooLarge("\(article) \(noun) may have at most \(limit) bytes")
                    }
                    handle.write(Data(buffer.readableBytesView))
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            do {
                return SpooledBundle(file: file, importer: try STIXBundleImport.prepare(file: file, options: options))
            } catch let error as STIXBundleError {
                throw Problem.invalid(pointer: "", "the body is not \(readable): \(error.detail); nothing was imported")
            }
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }
}
