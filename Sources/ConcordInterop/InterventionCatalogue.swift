public import ConcordAnalysis
import ConcordCore
import Foundation
import Yams

/// Reads catalogues of interventions written in YAML, the form a programme manager edits by hand.
///
/// A catalogue is a mapping with an `interventions` list (a bare list is read too). Each item has `id`, `name`,
/// `cost`, `analyst_hours`, `duration_months` and `effects`, and may have `summary`, `jurisdictions` (ISO codes;
/// left out or empty for a regional intervention) and `source`. Each effect has `factor` (likelihood, impact or
/// vulnerability), `reduction` (0.15 or "15%") and may have `typologies` (left out or empty for all).
///
/// Every problem is reported at once, each with its path and line: `interventions[3].effects[0].reduction must be
/// between 0 and 1 (1 excluded; 0.15 means 15%), not 1.5 (line 57, intervention "bank-rapid-freeze")`.
public enum InterventionCatalogue {
    /// The fields an item may have.
    static let itemFields = [
        "id", "name", "summary", "cost", "analyst_hours", "duration_months", "jurisdictions", "effects", "source",
    ]
    /// The fields an effect may have.
    static let effectFields = ["factor", "typologies", "reduction"]
    /// The fields the top-level mapping may have besides `interventions`.
    static let topFields = ["interventions", "currency", "version", "notes"]

    /// Reads a catalogue from YAML text.
    /// - Parameter yaml: the catalogue.
    /// - Returns: the interventions, in the order written.
    /// - Throws: `InterventionCatalogueError.notYAML` when the text is not YAML, `.invalid` with every problem
    ///   found (each naming the item and field) when it is YAML but not a valid catalogue.
    public static func parse(_ yaml: String) throws(InterventionCatalogueError) -> [Intervention] {
        guard yaml.utf8.count <= maximumBytes else {
            throw .invalid([
                Intervention.Problem(field: "interventions", message: "the catalogue is longer than \(maximumBytes) bytes")
            ])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw describe(error)
        } catch {
            throw .notYAML(line: nil, column: nil, reason: "\(error)")
        }
        guard let root else {
            throw .invalid([Intervention.Problem(field: "interventions", message: "is missing: the file is empty")])
        }
        // Aliases let a short text stand for an exponentially large tree: count what reading it would visit.
        var budget = maximumNodes
        guard fits(root, within: &budget) else {
            throw .invalid([
                Intervention.Problem(
                    field: "interventions",
                    message: "the catalogue has more than \(maximumNodes) values once its aliases are expanded"
                )
            ])
        }
        var reader = CatalogueReader()
        let interventions = reader.read(root)
        if !reader.problems.isEmpty { throw .invalid(reader.problems) }
        guard interventions.count <= maximumItems else {
            throw .invalid([
                Intervention.Problem(
                    field: "interventions",
                    message: "has \(interventions.count) items; at most \(maximumItems) are planned over"
                )
            ])
        }
        return interventions
    }

    /// The longest catalogue text read.
    public static let maximumBytes = 1 << 20
    /// The most YAML values a catalogue may hold, counted with its aliases expanded.
    public static let maximumNodes = 200_000
    /// The most interventions a catalogue may list: the planner's work grows with the square of the count.
    public static let maximumItems = 1000

    /// Whether `node` has at most `budget` values in all, counting each alias at every place it is used.
    private static func fits(_ node: Node, within budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let items):
            for item in items where !fits(item, within: &budget) { return false }
            return true
        case .mapping(let pairs):
            for (key, value) in pairs where !fits(key, within: &budget) || !fits(value, within: &budget) { return false }
            return true
        }
    }

    /// Reads a catalogue from a file.
    /// - Parameter path: the file's path.
    /// - Returns: the interventions, in the order written.
    /// - Throws: `InterventionCatalogueError.unreadable` when the file cannot be read as UTF-8 text, otherwise as
    ///   `parse(_:)`.
    public static func load(path: String) throws(InterventionCatalogueError) -> [Intervention] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .unreadable(path: path, reason: "does not exist")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "cannot be read as UTF-8 text")
        }
        return try parse(text)
    }

    /// The YAML text of the catalogue shipped with Concord: planning assumptions for illustration, to be replaced
    /// with the operator's own figures.
    /// - Throws: `InterventionCatalogueError.missingDefault` when the resource is not in the bundle.
    public static func shippedText() throws(InterventionCatalogueError) -> String {
        guard let url = Bundle.module.url(forResource: "interventions", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { throw .missingDefault }
        return text
    }

    /// The catalogue shipped with Concord, read and checked.
    /// - Throws: `InterventionCatalogueError` when the resource is missing or (which a test guards against) invalid.
    public static func shipped() throws(InterventionCatalogueError) -> [Intervention] {
        try parse(try shippedText())
    }

    /// The YAML parser's error as one of ours, with its line and column when it has them.
    static func describe(_ error: YamlError) -> InterventionCatalogueError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return .notYAML(line: mark.line, column: mark.column, reason: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .notYAML(
                line: context.mark.line,
                column: context.mark.column,
                reason: "a key is written twice in one mapping: \(duplicates.joined(separator: ", "))"
            )
        default:
            return .notYAML(line: nil, column: nil, reason: "\(error)")
        }
    }
}

/// Why a catalogue could not be read.
public enum InterventionCatalogueError: Error, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The text is not YAML.
    case notYAML(line: Int?, column: Int?, reason: String)
    /// The text is YAML but some items or fields are wrong; every problem found is listed.
    case invalid([Intervention.Problem])
    /// The shipped catalogue is not in the bundle.
    case missingDefault

    /// The problem, for a person.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path) \(reason)"
        case .notYAML(let line, let column, let reason):
            var place = ""
            if let line { place = " at line \(line)" + (column.map { ", column \($0)" } ?? "") }
            return "the catalogue is not valid YAML\(place): \(reason)"
        case .invalid(let problems):
            let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
            return "the intervention catalogue has \(count):\n" + problems.map { "- \($0)" }.joined(separator: "\n")
        case .missingDefault:
            return "the shipped intervention catalogue (interventions.yaml) is missing from the bundle"
        }
    }
}

/// Walks a composed YAML tree into interventions, collecting every problem with its path and line.
struct CatalogueReader {
    var problems: [Intervention.Problem] = []

    mutating func report(_ field: String, _ message: String, at node: Node?, item: String? = nil) {
        problems.append(Intervention.Problem(field: field, message: message, item: item, line: node?.mark?.line))
    }

    /// The interventions read from the document's root; problems are left in `problems`.
    mutating func read(_ root: Node) -> [Intervention] {
        var listNode: Node? = nil
        switch root {
        case .sequence:
            listNode = root
        case .mapping(let mapping):
            for (key, value) in mapping {
                let name = key.string ?? ""
                if name == "interventions" {
                    listNode = value
                } else if !InterventionCatalogue.topFields.contains(name) {
                    report(
                        name,
                        "is not a known top-level field; expected \(InterventionCatalogue.topFields.joined(separator: ", "))",
                        at: key
                    )
                }
            }
            if listNode == nil {
                report("interventions", "is missing: list the interventions under `interventions:`", at: root)
            }
        default:
            report("interventions", "is missing: the file must be a mapping with an `interventions:` list", at: root)
        }
        guard let listNode else { return [] }
        guard case .sequence(let items) = listNode else {
            if !isNull(listNode) {
                report("interventions", "must be a list of interventions (each starting with `- id:`)", at: listNode)
            }
            return []
        }

        var out: [Intervention] = []
        var firstIndex: [String: Int] = [:]
        for (index, itemNode) in items.enumerated() {
            let path = "interventions[\(index)]"
            let before = problems.count
            if let idNode = field("id", of: itemNode), case .scalar(let scalar) = idNode {
                if let earlier = firstIndex[scalar.string] {
                    report(
                        path + ".id",
                        "\"\(scalar.string)\" is already used by interventions[\(earlier)]; ids must be unique",
                        at: idNode,
                        item: scalar.string
                    )
                } else {
                    firstIndex[scalar.string] = index
                }
            }
            guard let intervention = readItem(itemNode, path: path) else { continue }
            // Problems of values (negative cost, reduction out of range, unknown country), with their lines.
            for var problem in intervention.problems(at: path) {
                problem.line = line(of: problem.field, under: path, in: itemNode)
                problems.append(problem)
            }
            if problems.count == before { out.append(intervention) }
        }
        return out
    }

    /// One item, or nil when a field is missing or of the wrong kind (reported).
    mutating func readItem(_ node: Node, path: String) -> Intervention? {
        guard case .mapping(let mapping) = node else {
            report(path, "must be a mapping of fields (id, name, cost, analyst_hours, duration_months, effects)", at: node)
            return nil
        }
        let id = field("id", of: node)?.string
        let item = id
        for (key, _) in mapping {
            let name = key.string ?? ""
            if !InterventionCatalogue.itemFields.contains(name) {
                report(
                    path + "." + name,
                    "is not a known field; known fields are \(InterventionCatalogue.itemFields.joined(separator: ", "))",
                    at: key,
                    item: item
                )
            }
        }
        let before = problems.count
        let idText = requiredText("id", of: node, path: path, item: item)
        let name = requiredText("name", of: node, path: path, item: item)
        let summary = optionalText("summary", of: node, path: path, item: item) ?? ""
        let source = optionalText("source", of: node, path: path, item: item)
        let cost = number("cost", of: node, path: path, item: item, unit: "an amount")
        let hours = number("analyst_hours", of: node, path: path, item: item, unit: "a number of hours")
        let months = wholeNumber("duration_months", of: node, path: path, item: item)
        let jurisdictions = readJurisdictions(field("jurisdictions", of: node), path: path + ".jurisdictions", item: item)
        let effects = readEffects(field("effects", of: node), path: path + ".effects", item: item)
        guard problems.count == before, let idText, let name, let cost, let hours, let months, let effects else {
            return nil
        }
        return Intervention(
            id: idText,
            name: name,
            summary: summary,
            cost: cost,
            analystHours: hours,
            durationMonths: months,
            jurisdictions: jurisdictions,
            effects: effects,
            source: source
        )
    }

    mutating func readJurisdictions(_ node: Node?, path: String, item: String?) -> [String] {
        guard let node, !isNull(node) else { return [] }
        let entries: [Node]
        switch node {
        case .sequence(let sequence): entries = Array(sequence)
        case .scalar: entries = [node]
        default:
            report(
                path,
                "must be a list of ISO country codes (like [TH, KH]), or left out for a regional intervention",
                at: node,
                item: item
            )
            return []
        }
        var codes: [String] = []
        for (k, entry) in entries.enumerated() {
            guard case .scalar(let scalar) = entry else {
                report("\(path)[\(k)]", "must be an ISO country code like TH", at: entry, item: item)
                continue
            }
            if let code = Jurisdiction.normalize(scalar.string) {
                if !codes.contains(code) { codes.append(code) }
            } else {
                report(
                    "\(path)[\(k)]",
                    "\"\(scalar.string)\" is not an ISO 3166-1 alpha-2 country code (like TH or FJ)",
                    at: entry,
                    item: item
                )
            }
        }
        return codes
    }

    /// The effects, or nil when missing or malformed (reported).
    mutating func readEffects(_ node: Node?, path: String, item: String?) -> [Intervention.Effect]? {
        guard let node, !isNull(node) else {
            report(path, "is missing: list at least one effect (factor, typologies, reduction)", at: nil, item: item)
            return nil
        }
        guard case .sequence(let sequence) = node else {
            report(path, "must be a list of effects, each with factor, typologies and reduction", at: node, item: item)
            return nil
        }
        var effects: [Intervention.Effect] = []
        var ok = true
        for (k, entry) in sequence.enumerated() {
            let effectPath = "\(path)[\(k)]"
            guard case .mapping(let mapping) = entry else {
                report(effectPath, "must be a mapping with factor, typologies and reduction", at: entry, item: item)
                ok = false
                continue
            }
            for (key, _) in mapping {
                let name = key.string ?? ""
                if !InterventionCatalogue.effectFields.contains(name) {
                    report(
                        effectPath + "." + name,
                        "is not a known field of an effect; known fields are "
                            + InterventionCatalogue.effectFields.joined(separator: ", "),
                        at: key,
                        item: item
                    )
                    ok = false
                }
            }
            var factor: Intervention.Factor? = nil
            if let factorNode = field("factor", of: entry), case .scalar(let scalar) = factorNode {
                factor = Intervention.Factor(rawValue: scalar.string.lowercased())
                if factor == nil {
                    report(
                        effectPath + ".factor",
                        "\"\(scalar.string)\" is not a risk factor; use likelihood, impact or vulnerability",
                        at: factorNode,
                        item: item
                    )
                }
            } else {
                report(
                    effectPath + ".factor",
                    "is missing: name the factor reduced (likelihood, impact or vulnerability)",
                    at: field("factor", of: entry) ?? entry,
                    item: item
                )
            }
            let typologies = readTypologies(field("typologies", of: entry), path: effectPath + ".typologies", item: item)
            let reduction = readReduction(
                field("reduction", of: entry),
                parent: entry,
                path: effectPath + ".reduction",
                item: item
            )
            if let factor, let typologies, let reduction {
                effects.append(Intervention.Effect(factor: factor, typologies: typologies, reduction: reduction))
            } else {
                ok = false
            }
        }
        return ok ? effects : nil
    }

    mutating func readTypologies(_ node: Node?, path: String, item: String?) -> [Typology]? {
        guard let node, !isNull(node) else { return [] }
        let entries: [Node]
        switch node {
        case .sequence(let sequence): entries = Array(sequence)
        case .scalar(let scalar):
            if scalar.string.lowercased() == "all" { return [] }
            entries = [node]
        default:
            report(path, "must be a list of typologies, or left out for all", at: node, item: item)
            return nil
        }
        var typologies: [Typology] = []
        var ok = true
        for (k, entry) in entries.enumerated() {
            guard case .scalar(let scalar) = entry, let typology = Typology(lenient: scalar.string) else {
                let text = entry.string.map { "\"\($0)\" is not a typology" } ?? "must be a typology"
                report(
                    "\(path)[\(k)]",
                    "\(text); use one of \(Typology.allCases.map(\.rawValue).joined(separator: ", "))",
                    at: entry,
                    item: item
                )
                ok = false
                continue
            }
            if !typologies.contains(typology) { typologies.append(typology) }
        }
        return ok ? typologies : nil
    }

    /// A reduction written as a number (0.15) or a percentage ("15%"); range checks are left to the validation.
    mutating func readReduction(_ node: Node?, parent: Node, path: String, item: String?) -> Double? {
        guard let node, !isNull(node) else {
            report(path, "is missing: give the share of the factor removed, like 0.15 or \"15%\"", at: parent, item: item)
            return nil
        }
        if let value = node.float { return value }
        if case .scalar(let scalar) = node {
            let text = scalar.string.filter { $0 != " " }
            if text.hasSuffix("%"), let percent = Double(String(text.dropLast())) { return percent / 100 }
        }
        report(path, "must be a number like 0.15 or a percentage like \"15%\", not \(shown(node))", at: node, item: item)
        return nil
    }

    mutating func requiredText(_ name: String, of node: Node, path: String, item: String?) -> String? {
        guard let value = field(name, of: node), !isNull(value) else {
            report(path + "." + name, "is missing", at: node, item: item)
            return nil
        }
        guard case .scalar(let scalar) = value else {
            report(path + "." + name, "must be text", at: value, item: item)
            return nil
        }
        return scalar.string
    }

    mutating func optionalText(_ name: String, of node: Node, path: String, item: String?) -> String? {
        guard let value = field(name, of: node), !isNull(value) else { return nil }
        guard case .scalar(let scalar) = value else {
            report(path + "." + name, "must be text", at: value, item: item)
            return nil
        }
        return scalar.string
    }

    mutating func number(_ name: String, of node: Node, path: String, item: String?, unit: String) -> Double? {
        guard let value = field(name, of: node), !isNull(value) else {
            report(path + "." + name, "is missing: give \(unit)", at: node, item: item)
            return nil
        }
        guard let number = value.float else {
            report(
                path + "." + name,
                "must be a number (write 150000 or 150_000, without commas or currency signs), not \(shown(value))",
                at: value,
                item: item
            )
            return nil
        }
        return number
    }

    mutating func wholeNumber(_ name: String, of node: Node, path: String, item: String?) -> Int? {
        guard let value = field(name, of: node), !isNull(value) else {
            report(path + "." + name, "is missing: give a whole number of months", at: node, item: item)
            return nil
        }
        guard let number = value.int else {
            report(path + "." + name, "must be a whole number of months, not \(shown(value))", at: value, item: item)
            return nil
        }
        return number
    }

    /// The value of the field `name` of a mapping node, if present.
    func field(_ name: String, of node: Node) -> Node? {
        guard case .mapping(let mapping) = node else { return nil }
        for (key, value) in mapping where key.string == name { return value }
        return nil
    }

    /// The line of the node a validation problem's field names (`interventions[3].effects[0].reduction`), falling
    /// back to the item's line.
    func line(of fieldPath: String, under itemPath: String, in itemNode: Node) -> Int? {
        var node = itemNode
        var rest = Substring(fieldPath)
        if rest.hasPrefix(itemPath + ".") { rest = rest.dropFirst(itemPath.count + 1) }
        for part in rest.split(separator: ".") {
            var name = part
            var index: Int? = nil
            if let open = part.firstIndex(of: "["), part.hasSuffix("]") {
                name = part[part.startIndex..<open]
                index = Int(part[part.index(after: open)..<part.index(before: part.endIndex)])
            }
            guard let child = field(String(name), of: node) else { break }
            node = child
            if let index {
                guard case .sequence(let sequence) = child, index >= 0, index < sequence.count else { break }
                node = sequence[sequence.index(sequence.startIndex, offsetBy: index)]
            }
        }
        return node.mark?.line ?? itemNode.mark?.line
    }

    func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    /// A node's text for a message.
    func shown(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "\"\(scalar.string)\""
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }
}
