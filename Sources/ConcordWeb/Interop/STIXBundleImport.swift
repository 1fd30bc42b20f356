public import ConcordCore
public import ConcordInterop
public import ConcordStore
public import Foundation

/// What a STIX import did, object by object and in sum.
public struct STIXImportSummary: Sendable, Equatable {
    /// Objects read from the bundle.
    public var objects = 0
    /// Objects that became one or more records (or were already held as such).
    public var imported = 0
    /// Objects with nothing to import.
    public var skipped = 0
    /// Objects that could not be imported.
    public var rejected = 0
    /// Records newly written.
    public var created = 0
    /// Records this node already held.
    public var duplicates = 0
    /// Records withdrawn because the object they were imported from came again revoked.
    public var withdrawn = 0

    /// Adds another import's counts to these.
    public mutating func add(_ other: STIXImportSummary) {
        objects += other.objects
        imported += other.imported
        skipped += other.skipped
        rejected += other.rejected
        created += other.created
        duplicates += other.duplicates
        withdrawn += other.withdrawn
    }

    /// The summary as JSON.
    public var json: JSONValue {
        .object([
            "objects": .integer(Int64(objects)),
            "imported": .integer(Int64(imported)),
            "skipped": .integer(Int64(skipped)),
            "rejected": .integer(Int64(rejected)),
            "records_created": .integer(Int64(created)),
            "records_duplicate": .integer(Int64(duplicates)),
            "records_withdrawn": .integer(Int64(withdrawn)),
        ])
    }
}

/// A bundle that cannot be read at all: nothing was imported.
public struct STIXBundleError: Error, Sendable {
    /// What is wrong.
    public let detail: String
}

/// Imports a STIX bundle from a file in three streamed passes (references, referenced values, import), so
/// that memory grows with the objects reports refer to, never with the bundle. A bundle whose structure is
/// broken is refused whole in the first pass, before anything is written; after that every object gets one
/// result: imported (with its records), skipped or rejected, with the reason.
public enum STIXBundleImport {
    /// Runs the import.
    /// - Parameters:
    ///   - file: the bundle.
    ///   - ledger: where records are written.
    ///   - key: the importing node's key: imported records are its records.
    ///   - options: jurisdiction and labels.
    ///   - results: receives the result lines, a batch at a time, in object order.
    /// - Throws: `STIXBundleError` when the bundle is not readable as a bundle.
    public static func run(
        file: URL,
        ledger: Ledger,
        key: NodeKey,
        options: STIXImporter.Options,
        results: ([JSONValue]) async throws -> Void
    ) async throws -> STIXImportSummary {
        let importer = try prepare(file: file, options: options)
        return try await importObjects(file: file, importer: importer, ledger: ledger, key: key, results: results)
    }

    /// The first two passes: checks the bundle's structure and learns what reports and sightings refer to.
    /// - Throws: `STIXBundleError` when the bundle is not readable as a bundle.
    public static func prepare(file: URL, options: STIXImporter.Options) throws -> STIXImporter {
        var importer = STIXImporter(options: options)
        // Only reports and sightings refer to other objects; the splitter notes each object's type, so the first
        // pass parses those alone (and any object whose type it could not note for certain).
        try forEachObject(in: file) { noted in
            guard case .bytes(let bytes) = noted.element, !noted.certain || STIXImporter.refers(type: noted.type ?? "") else {
                return
            }
            if let object = try? JSONValue.parse(bytes) { importer.noteReferences(object) }
        }
        if importer.referencedCount > 0 {
            try forEachObject(in: file) { noted in
                guard case .bytes(let bytes) = noted.element,
                    !noted.certain || importer.needs(type: noted.type ?? "", id: noted.id ?? "")
                else { return }
                if let object = try? JSONValue.parse(bytes) { importer.learn(object) }
            }
        }
        return importer
    }

    /// The third pass: maps and writes every object, giving each a result line.
    public static func importObjects(
        file: URL,
        importer: STIXImporter,
        ledger: Ledger,
        key: NodeKey,
        results: ([JSONValue]) async throws -> Void
    ) async throws -> STIXImportSummary {
        var batch = Batch(ledger: ledger, key: key, jurisdiction: importer.options.jurisdiction)
        var summary = STIXImportSummary()
        var pendingLines: [Int: JSONValue] = [:]
        var objects: [(index: Int, line: JSONValue)] = []
        // Each chunk's objects are parsed, mapped and read as API input on all cores; then, in order, their
        // records are batched, and batches are written between chunks of the file.
        try await forEachChunk(in: file) { first, elements in
            let mapped = await mapAll(elements, first: first, importer: importer)
            for (index, item) in mapped {
                summary.objects += 1
                switch item {
                case .done(let line):
                    objects.append((index, line))
                case .indicators(let line, let inputs):
                    pendingLines[index] = line
                    batch.indicators(inputs, for: index)
                    objects.append((index, .null))
                case .report(let line, let draft, let created):
                    pendingLines[index] = line
                    batch.report(draft, signedAt: created, for: index)
                    objects.append((index, .null))
                case .revoked(let line, let named):
                    let withdrawn = try await withdrawImported(line, named: named, ledger: ledger, key: key, importer: importer)
                    summary.withdrawn += withdrawn.count
                    objects.append((index, withdrawn.line))
                }
            }
        } flush: { final in
            guard final || batch.isFull || objects.count >= 4096 else { return }
            let done = try await batch.write()
            var out: [JSONValue] = []
            for (index, line) in objects {
                if line != .null {
                    out.append(line)
                    switch line["outcome"]?.stringValue {
                    case "skipped": summary.skipped += 1
                    case "withdrawn": summary.imported += 1
                    default: summary.rejected += 1
                    }
                    continue
                }
                let result = done[index] ?? ObjectResult()
                var members = pendingLines.removeValue(forKey: index)?.objectValue ?? [:]
                summary.created += result.created
                summary.duplicates += result.duplicates
                if result.records.isEmpty {
                    summary.rejected += 1
                    members["outcome"] = "rejected"
                    members["reason"] = .string(result.problems.joined(separator: "; "))
                } else {
                    summary.imported += 1
                    members["outcome"] = "imported"
                    members["records"] = .array(result.records.map(JSONValue.string))
                    if !result.problems.isEmpty { members["problems"] = .array(result.problems.map(JSONValue.string)) }
                }
                out.append(.object(members))
            }
            objects.removeAll(keepingCapacity: true)
            if !out.isEmpty { try await results(out) }
        }
        return summary
    }

    // MARK: Reading

    private static func forEachObject(
        in file: URL,
        _ body: (STIXBundleSplitter.Noted) throws -> Void
    ) throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var splitter = STIXBundleSplitter()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                for noted in try splitter.feedNoting(chunk) { try body(noted) }
            }
            try splitter.finish()
        } catch let failure as STIXBundleSplitter.Failure {
            throw STIXBundleError(detail: failure.detail)
        }
    }

    private static func forEachChunk(
        in file: URL,
        _ body: (Int, [STIXBundleSplitter.Element]) async throws -> Void,
        flush: (_ final: Bool) async throws -> Void
    ) async throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var splitter = STIXBundleSplitter()
        var index = 0
        while let chunk = try handle.read(upToCount: 1 << 19), !chunk.isEmpty {
            let elements: [STIXBundleSplitter.Element]
            do {
                elements = try splitter.feed(chunk)
            } catch {
                throw STIXBundleError(detail: error.detail)
            }
            try await body(index, elements)
            index += elements.count
            try await flush(false)
        }
        try await flush(true)
    }

    /// One object, mapped and read: its final line, or what to write for it.
    public enum Mapped: Sendable {
        case done(JSONValue)
        case revoked(JSONValue, [[String: JSONValue]])
        case indicators(JSONValue, [JSONValue])
        case report(JSONValue, RecordDraft, Timestamp)
    }

    /// Maps `elements` (numbered from `first`) on two tasks when there are enough of them.
    public static func mapAll(
        _ elements: [STIXBundleSplitter.Element],
        first: Int,
        importer: STIXImporter
    ) async -> [(Int, Mapped)] {
        let numbered = Array(elements.enumerated().map { (first + $0.offset, $0.element) })
        guard numbered.count >= 64 else { return numbered.map { ($0.0, map($0.1, index: $0.0, importer: importer)) } }
        let half = numbered.count / 2
        let parts = [Array(numbered[..<half]), Array(numbered[half...])]
        return await withTaskGroup(of: (Int, [(Int, Mapped)]).self) { group in
            for (n, part) in parts.enumerated() {
                group.addTask { (n, part.map { ($0.0, map($0.1, index: $0.0, importer: importer)) }) }
            }
            var results = [[(Int, Mapped)]](repeating: [], count: parts.count)
            for await (n, mapped) in group { results[n] = mapped }
            return results.flatMap { $0 }
        }
    }

    static func map(_ element: STIXBundleSplitter.Element, index: Int, importer: STIXImporter) -> Mapped {
        var line: [String: JSONValue] = ["index": .integer(Int64(index))]
        let outcome: STIXImporter.Outcome
        switch element {
        case .oversized(let size):
            outcome = .rejected("the object is \(size) bytes; at most \(1 << 20) are read")
        case .bytes(let bytes):
            do throws(JSONParseError) {
                let object = try JSONValue.parse(bytes)
                if let id = object["id"]?.stringValue { line["id"] = .string(String(id.prefix(300))) }
                if let type = object["type"]?.stringValue { line["type"] = .string(String(type.prefix(250))) }
                outcome = importer.map(object)
            } catch {
                outcome = .rejected("not valid JSON: \(error.detail)")
            }
        }
        switch outcome {
        case .skipped(let reason):
            line["outcome"] = "skipped"
            line["reason"] = .string(reason)
            return .done(.object(line))
        case .rejected(let reason):
            line["outcome"] = "rejected"
            line["reason"] = .string(reason)
            return .done(.object(line))
        case .indicators(let inputs):
            return .indicators(.object(line), inputs)
        case .revoked(let named):
            return .revoked(.object(line), named)
        case .report(let input):
            do throws(InputError) {
                let draft = try RecordInput.report(input, nodeJurisdiction: importer.options.jurisdiction)
                return .report(.object(line), draft, STIXImporter.signingTime(of: input))
            } catch {
                line["outcome"] = "rejected"
                line["reason"] = .string(error.summary)
                return .done(.object(line))
            }
        }
    }

    // MARK: Writing

    /// Withdraws the live indicators this node imported from the STIX object `line` names, now that it came
    /// revoked: those of this node that flag one of `named` and whose `external.id` is the object's id.
    static func withdrawImported(
        _ line: JSONValue,
        named: [[String: JSONValue]],
        ledger: Ledger,
        key: NodeKey,
        importer: STIXImporter
    ) async throws -> (line: JSONValue, count: Int) {
        var members = line.objectValue ?? [:]
        let id = members["id"]?.stringValue ?? ""
        let identifiers = named.compactMap {
            try? RecordInput.identifier(.object($0), defaultRegion: importer.options.jurisdiction)
        }
        var retractions: [Record] = []
        for held in try await ledger.store.liveIndicators(origin: key.nodeID, naming: identifiers) {
            guard let stored = try await ledger.store.record(id: held.recordID),
                stored.record.body["external"]?["format"] == "stix", stored.record.body["external"]?["id"]?.stringValue == id,
                let draft = try? RecordInput.retraction(of: stored.record, reason: "revoked by its STIX producer (\(id))")
            else { continue }
            retractions.append(draft.sign(with: key))
        }
        guard !retractions.isEmpty else {
            members["outcome"] = "skipped"
            members["reason"] = "revoked by its producer; this node holds no live record imported from it"
            return (.object(members), 0)
        }
        _ = try await ledger.append(retractions)
        members["outcome"] = "withdrawn"
        members["records"] = .array(retractions.map { .string($0.id) })
        return (.object(members), retractions.count)
    }

    struct ObjectResult {
        var records: [String] = []
        var created = 0
        var duplicates = 0
        var problems: [String] = []
    }

    /// Indicator inputs and report drafts waiting to be written, each with the object it came from.
    struct Batch {
        let ledger: Ledger
        let key: NodeKey
        let jurisdiction: String
        var indicatorInputs: [JSONValue] = []
        var indicatorOwners: [Int] = []
        var drafts: [(draft: RecordDraft, created: Timestamp)] = []
        var draftOwners: [Int] = []

        var isFull: Bool { indicatorInputs.count >= 2000 || drafts.count >= 500 }

        mutating func indicators(_ inputs: [JSONValue], for index: Int) {
            indicatorInputs += inputs
            indicatorOwners += Array(repeating: index, count: inputs.count)
        }

        mutating func report(_ draft: RecordDraft, signedAt created: Timestamp, for index: Int) {
            drafts.append((draft, created))
            draftOwners.append(index)
        }

        mutating func write() async throws -> [Int: ObjectResult] {
            var results: [Int: ObjectResult] = [:]
            if !indicatorInputs.isEmpty {
                let outcomes = try await ledger.writeIndicators(indicatorInputs, key: key, jurisdiction: jurisdiction)
                for (owner, outcome) in zip(indicatorOwners, outcomes) {
                    switch outcome {
                    case .created(let id):
                        results[owner, default: ObjectResult()].records.append(id)
                        results[owner, default: ObjectResult()].created += 1
                    case .duplicate(let id):
                        results[owner, default: ObjectResult()].records.append(id)
                        results[owner, default: ObjectResult()].duplicates += 1
                    case .rejected(let error):
                        results[owner, default: ObjectResult()].problems.append(error.summary)
                    }
                }
            }
            if !drafts.isEmpty {
                let records = await RecordDraft.signAll(drafts, with: key)
                let outcomes = try await ledger.append(records)
                for ((owner, record), outcome) in zip(zip(draftOwners, records), outcomes) {
                    results[owner, default: ObjectResult()].records.append(record.id)
                    if case .stored = outcome {
                        results[owner, default: ObjectResult()].created += 1
                    } else {
                        results[owner, default: ObjectResult()].duplicates += 1
                    }
                }
            }
            indicatorInputs.removeAll(keepingCapacity: true)
            indicatorOwners.removeAll(keepingCapacity: true)
            drafts.removeAll(keepingCapacity: true)
            draftOwners.removeAll(keepingCapacity: true)
            return results
        }
    }
}
