public import ConcordCore
public import ConcordInterop
public import ConcordStore
public import Foundation

/// Imports MISP events into records and exports records as a MISP feed.
public enum MISPExchange {
    /// Imports events one at a time; each gets one result line.
    /// - Parameters:
    ///   - events: the events, each `{"Event": {...}}`, read lazily (a feed's files are read as they are needed).
    ///   - ledger: where records are written.
    ///   - key: the importing node's key.
    ///   - options: jurisdiction and labels.
    ///   - results: receives each event's result line.
    /// - Returns: the import's sum, objects counting events.
    public static func importEvents(
        _ events: some Sequence<Result<JSONValue, STIXBundleError>>,
        ledger: Ledger,
        key: NodeKey,
        options: MISPMapping.Options,
        results: (JSONValue) async throws -> Void
    ) async throws -> STIXImportSummary {
        var summary = STIXImportSummary()
        for (index, read) in events.enumerated() {
            summary.objects += 1
            var line: [String: JSONValue] = ["index": .integer(Int64(index))]
            let event: JSONValue
            switch read {
            case .failure(let error):
                summary.rejected += 1
                line["outcome"] = "rejected"
                line["reason"] = .string(error.detail)
                try await results(.object(line))
                continue
            case .success(let value): event = value
            }
            let outcome = MISPMapping.read(event: event, options: options)
            if let uuid = outcome.uuid { line["event"] = .string(String(uuid.prefix(64))) }
            if let rejected = outcome.rejected {
                summary.rejected += 1
                line["outcome"] = "rejected"
                line["reason"] = .string(rejected)
                try await results(.object(line))
                continue
            }
            var records: [JSONValue] = []
            var problems: [JSONValue] = []
            if !outcome.indicators.isEmpty {
                for result in try await ledger.writeIndicators(outcome.indicators, key: key, jurisdiction: options.jurisdiction) {
                    switch result {
                    case .created(let id):
                        summary.created += 1
                        records.append(.string(id))
                    case .duplicate(let id):
                        summary.duplicates += 1
                        records.append(.string(id))
                    case .rejected(let error): problems.append(.string(error.summary))
                    }
                }
            }
            if let input = outcome.report {
                let draft: RecordDraft?
                do throws(InputError) {
                    draft = try RecordInput.report(input, nodeJurisdiction: options.jurisdiction)
                } catch {
                    draft = nil
                    problems.append(.string(error.summary))
                }
                if let draft {
                    // Signed at the event's own time, so that importing the same event again gives the same record.
                    let seconds = MISPMapping.integer(MISPMapping.eventObject(event)?["timestamp"]).map(Int64.init)
                    let created =
                        seconds.map { Timestamp(milliseconds: $0 * 1000) }.flatMap { $0 < .now() ? $0 : nil } ?? .now()
                    let record = draft.sign(with: key, at: created)
                    let stored = try await ledger.append([record])
                    if case .stored = stored.first { summary.created += 1 } else { summary.duplicates += 1 }
                    records.append(.string(record.id))
                }
            }
            if records.isEmpty {
                summary.rejected += problems.isEmpty ? 0 : 1
                summary.skipped += problems.isEmpty ? 1 : 0
                line["outcome"] = problems.isEmpty ? "skipped" : "rejected"
                line["reason"] = .string(
                    problems.isEmpty ? "no attribute names an identifier to import" : "no record could be written"
                )
            } else {
                summary.imported += 1
                line["outcome"] = "imported"
                line["records"] = .array(records)
            }
            if !problems.isEmpty { line["problems"] = .array(problems) }
            if !outcome.skipped.isEmpty {
                line["skipped"] = .array(
                    outcome.skipped.prefix(1000).map { ["attribute": .string($0.attribute), "reason": .string($0.reason)] }
                )
            }
            try await results(.object(line))
        }
        return summary
    }

    /// The events of a MISP feed directory (`manifest.json` and `<uuid>.json` files), or of one file holding an
    /// event, an array of events or a search answer (`{"response": [...]}`), read lazily one file at a time.
    public static func events(at path: URL) throws -> AnySequence<Result<JSONValue, STIXBundleError>> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw STIXBundleError(detail: "\(path.path) does not exist")
        }
        func read(_ file: URL) -> Result<JSONValue, STIXBundleError> {
            do {
                let data = try Data(contentsOf: file)
                guard data.count <= 256 << 20 else {
                    return .failure(STIXBundleError(detail: "\(file.lastPathComponent) is over 256 MiB"))
                }
                return .success(try JSONValue.parse(data))
            } catch let error as JSONParseError {
                return .failure(STIXBundleError(detail: "\(file.lastPathComponent) is not JSON: \(error.detail)"))
            } catch {
                return .failure(STIXBundleError(detail: "\(file.lastPathComponent) cannot be read"))
            }
        }
        if isDirectory.boolValue {
            let manifestFile = path.appendingPathComponent("manifest.json")
            guard case .success(let manifest) = read(manifestFile), let entries = manifest.objectValue else {
                throw STIXBundleError(detail: "\(manifestFile.path) is missing or is not a MISP feed manifest")
            }
            let uuids = entries.keys.sorted()
            return AnySequence(
                uuids.lazy.map { uuid -> Result<JSONValue, STIXBundleError> in
                    guard UUID(uuidString: uuid) != nil else {
                        return .failure(STIXBundleError(detail: "the manifest names \(uuid.prefix(64)), which is not a uuid"))
                    }
                    return read(path.appendingPathComponent(uuid.lowercased() + ".json"))
                }
            )
        }
        let document = try read(path).get()
        let list = document["response"]?.arrayValue ?? document.arrayValue ?? [document]
        return AnySequence(list.map { .success($0) })
    }

    /// Writes the live indicator and report records of `store` that `scope` allows as a MISP feed in
    /// `directory`: `manifest.json`, `<uuid>.json` per event, `hashes.csv`.
    /// - Returns: the number of events written.
    @discardableResult
    public static func writeFeed(
        store: any RecordStore,
        organisation: MISPFeedWriter.Organisation,
        scope: CheckScope = .all,
        to directory: URL
    ) async throws -> Int {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var manifest: [String: JSONValue] = [:]
        var hashes: [String] = []
        try await forEachEvent(store: store, organisation: organisation, scope: scope) { uuid, entry, event, _ in
            try event.canonicalData.write(to: directory.appendingPathComponent(uuid + ".json"))
            manifest[uuid] = entry
            hashes += MISPFeedWriter.hashLines(event)
        }
        try JSONValue.object(manifest).canonicalData.write(to: directory.appendingPathComponent("manifest.json"))
        try Data((hashes.joined(separator: "\n") + (hashes.isEmpty ? "" : "\n")).utf8).write(
            to: directory.appendingPathComponent("hashes.csv")
        )
        return manifest.count
    }
}

extension MISPExchange {
    /// Calls `body` with the event of every live indicator and report record of `store` that `scope` allows:
    /// its uuid, manifest entry, the event, and the record's id.
    public static func forEachEvent(
        store: any RecordStore,
        organisation: MISPFeedWriter.Organisation,
        scope: CheckScope,
        _ body: (String, JSONValue, JSONValue, String) throws -> Void
    ) async throws {
        for kind in [RecordKind.indicator, .report] {
            var failure: (any Error)?
            try await store.forEachPage(of: kind) { page in
                for stored in page where failure == nil && stored.retractedBy == nil && !stored.record.exercise {
                    guard scope.allows(stored.record.label.tlp),
                        let event = MISPFeedWriter.event(for: stored.record, organisation: organisation),
                        let (uuid, entry) = MISPFeedWriter.manifestEntry(event)
                    else { continue }
                    do {
                        try body(uuid, entry, event, stored.record.id)
                    } catch {
                        failure = error
                    }
                }
            }
            if let failure { throw failure }
        }
    }
}
