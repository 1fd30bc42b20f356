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
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("concord-stix-\(UUID().uuidString).json")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw Problem.notReady("the node cannot write a temporary file for the bundle")
        }
        let removeFile: @Sendable () -> Void = { try? FileManager.default.removeItem(at: file) }
        let importer: STIXImporter
        do {
            let handle = try FileHandle(forWritingTo: file)
            var size: Int64 = 0
            for try await buffer in request.body {
                size += Int64(buffer.readableBytes)
                guard size <= node.limits.maxBundleBytes else {
                    try? handle.close()
                    throw Problem.tooLarge("a bundle may have at most \(node.limits.maxBundleBytes) bytes")
                }
                handle.write(Data(buffer.readableBytesView))
            }
            try handle.close()
            do {
                importer = try STIXBundleImport.prepare(file: file, options: options)
            } catch let error as STIXBundleError {
                throw Problem.invalid(
                    pointer: "",
                    "the body is not a readable STIX bundle: \(error.detail); nothing was imported"
                )
            }
        } catch {
            removeFile()
            throw error
        }
        let node = self.node
        let logger = context.logger
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                defer { removeFile() }
                let summary = try await STIXBundleImport.importObjects(
                    file: file,
                    importer: importer,
                    ledger: node.ledger,
                    key: node.key,
                    results: { lines in
                        var out = ByteBuffer()
                        for line in lines {
                            out.writeBytes(line.canonicalData)
                            out.writeInteger(UInt8(ascii: "\n"))
                        }
                        try await writer.write(out)
                    }
                )
                node.didWrite(summary.created)
                var tail = ByteBuffer()
                tail.writeBytes(JSONValue.object(["summary": summary.json]).canonicalData)
                tail.writeInteger(UInt8(ascii: "\n"))
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
