import Foundation
import Yams

/// Why a YAML data file (a capability framework, an exercise scenario) was refused: each problem with its path and,
/// where the file has it, its line.
public struct YAMLFileInvalid: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public var description: String { problems.joined(separator: "; ") }
}

/// The first steps of reading every YAML data file: bounded size, parsed, not empty, and a bounded number of values
/// once aliases are expanded.
enum YAMLDataFile {
    static let maximumBytes = 1 << 20
    static let maximumNodes = 100_000

    /// The text of the file at `path`.
    static func text(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YAMLFileInvalid(problems: ["\(path) cannot be read"])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The document's root node.
    static func root(_ yaml: String) throws -> Node {
        guard yaml.utf8.count <= maximumBytes else {
            throw YAMLFileInvalid(problems: ["the file is longer than \(maximumBytes) bytes"])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw YAMLFileInvalid(problems: ["not YAML: \(error)"])
        }
        guard let root else { throw YAMLFileInvalid(problems: ["the file is empty"]) }
        var budget = maximumNodes
        guard fits(root, &budget) else {
            throw YAMLFileInvalid(problems: ["more than \(maximumNodes) values once aliases are expanded"])
        }
        return root
    }

    private static func fits(_ node: Node, _ budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let items): return items.allSatisfy { fits($0, &budget) }
        case .mapping(let pairs): return pairs.allSatisfy { fits($0.key, &budget) && fits($0.value, &budget) }
        }
    }
}
