public import ConcordCore
import Foundation
import Yams

/// Reads joint exercise scenarios from YAML: the two shipped with Concord, or an operator's own. The YAML becomes
/// JSON and passes through the one scenario reader that also checks scenarios arriving from peers; each problem is
/// named by its path and, where the file has it, its line.
public enum ExerciseScenarioFile {
    /// Why a scenario file was refused.
    public typealias Invalid = YAMLFileInvalid

    /// The scenarios shipped with Concord, by id.
    public static func shipped() throws -> [ExerciseScenario] {
        var out: [ExerciseScenario] = []
        for name in ["investment-wave-three-countries", "bank-sms-phishing"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "exercises") else {
                throw Invalid(problems: ["the shipped scenario \(name) is missing from the bundle"])
            }
            out.append(try parse(String(decoding: try Data(contentsOf: url), as: UTF8.self)))
        }
        return out
    }

    /// The scenario in the file at `path`.
    public static func load(path: String) throws -> ExerciseScenario {
        try parse(try YAMLDataFile.text(path: path))
    }

    /// Reads a scenario from YAML text.
    public static func parse(_ yaml: String) throws -> ExerciseScenario {
        let root = try YAMLDataFile.root(yaml)
        var budget = YAMLDataFile.maximumNodes
        var problems: [String] = []
        let json = value(root, at: "", budget: &budget, problems: &problems)
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        do throws(InputError) {
            return try ExerciseScenario(json: json)
        } catch {
            throw Invalid(
                problems: error.issues.map { issue in
                    let line = node(at: issue.pointer, in: root)?.mark.map { " (line \($0.line))" } ?? ""
                    return "\(issue.pointer.isEmpty ? "/" : issue.pointer) \(issue.detail)\(line)"
                }
            )
        }
    }

    /// The YAML as JSON: core-schema scalars keep their type (numbers, booleans, null), everything else is text.
    private static func value(_ node: Node, at path: String, budget: inout Int, problems: inout [String]) -> JSONValue {
        budget -= 1
        guard budget >= 0 else {
            if budget == -1 { problems.append("more than \(YAMLDataFile.maximumNodes) values") }
            return .null
        }
        let line = node.mark.map { " (line \($0.line))" } ?? ""
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .integer(Int64($0)) } ?? .string(scalar.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let items):
            return .array(
                items.enumerated().map { value($0.element, at: path + "/\($0.offset)", budget: &budget, problems: &problems) }
            )
        case .mapping(let pairs):
            var out: [String: JSONValue] = [:]
            for (key, item) in pairs {
                guard let name = key.string else {
                    problems.append("\(path) has a key that is not text\(line)")
                    continue
                }
                if out[name] != nil { problems.append("\(path)/\(name) is given twice\(line)") }
                out[name] = value(item, at: path + "/" + name, budget: &budget, problems: &problems)
            }
            return .object(out)
        case .alias:
            problems.append("\(path.isEmpty ? "/" : path) is an alias; a scenario spells every value out\(line)")
            return .null
        }
    }

    /// The YAML node a JSON pointer names, for its line.
    private static func node(at pointer: String, in root: Node) -> Node? {
        var current = root
        for token in pointer.split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .mapping(let pairs):
                guard let next = pairs.first(where: { $0.key.string == key })?.value else { return current }
                current = next
            case .sequence(let items):
                guard let n = Int(key), items.indices.contains(n) else { return current }
                current = items[n]
            default:
                return current
            }
        }
        return current
    }
}
