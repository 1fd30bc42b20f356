public import ConcordAnalysis
import ConcordCore
import Foundation
import Yams

/// Reads a capability framework from YAML (the shipped `capability-framework.yaml`, or an operator's own file with
/// the same keys), refusing anything it does not understand and naming every problem with its path and line.
public enum CapabilityFrameworkFile {
    /// Why a framework file was refused.
    public typealias Invalid = YAMLFileInvalid

    /// The framework shipped with Concord.
    public static func shipped() throws -> CapabilityFramework {
        guard let url = Bundle.module.url(forResource: "capability-framework", withExtension: "yaml") else {
            throw Invalid(problems: ["the shipped framework is missing from the bundle"])
        }
        return try parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
    }

    /// The framework in the file at `path`.
    public static func load(path: String) throws -> CapabilityFramework {
        try parse(try YAMLDataFile.text(path: path))
    }

    /// Reads a framework from YAML text.
    public static func parse(_ yaml: String) throws -> CapabilityFramework {
        let root = try YAMLDataFile.root(yaml)
        var reader = Reader()
        let framework = reader.framework(root)
        guard reader.problems.isEmpty, let framework else { throw Invalid(problems: reader.problems) }
        return framework
    }

    struct Reader {
        var problems: [String] = []

        mutating func fail(_ path: String, _ message: String, _ node: Node?) {
            problems.append("\(path) \(message)" + (node?.mark.map { " (line \($0.line))" } ?? ""))
        }

        /// The members of a mapping, with unknown keys reported.
        mutating func members(_ node: Node, _ path: String, allowed: [String]) -> [String: Node] {
            guard case .mapping(let mapping) = node else {
                fail(path, "must be a mapping", node)
                return [:]
            }
            var out: [String: Node] = [:]
            for (key, value) in mapping {
                let name = key.string ?? ""
                if allowed.contains(name) {
                    out[name] = value
                } else {
                    fail(path + "." + name, "is not a known key; expected \(allowed.joined(separator: ", "))", key)
                }
            }
            return out
        }

        mutating func text(_ m: [String: Node], _ key: String, _ path: String, max: Int = 4000) -> String {
            guard let node = m[key], let s = node.string, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                fail(path + "." + key, "is required text", m[key])
                return ""
            }
            if s.utf8.count > max { fail(path + "." + key, "is longer than \(max) bytes", node) }
            return s
        }

        mutating func id(_ m: [String: Node], _ path: String) -> String {
            let value = text(m, "id", path, max: 64)
            if !value.isEmpty
                && !value.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            {
                fail(path + ".id", "must be lower-case letters, digits and hyphens", m["id"])
            }
            return value
        }

        mutating func framework(_ root: Node) -> CapabilityFramework? {
            let top = members(root, "framework", allowed: ["id", "version", "title", "description", "stages", "dimensions"])
            let frameworkID = id(top, "framework")
            let version = text(top, "version", "framework", max: 32)
            let title = text(top, "title", "framework", max: 200)
            let description = text(top, "description", "framework")
            var stages: [CapabilityFramework.Stage] = []
            if case .sequence(let items)? = top["stages"], items.count == 5 {
                for (n, item) in items.enumerated() {
                    let path = "stages[\(n)]"
                    let m = members(item, path, allowed: ["level", "id", "title", "description"])
                    if m["level"]?.int != n + 1 {
                        fail(path + ".level", "must be \(n + 1): stages go 1 to 5 in order", m["level"] ?? item)
                    }
                    stages.append(
                        .init(
                            level: n + 1,
                            id: id(m, path),
                            title: text(m, "title", path, max: 200),
                            description: text(m, "description", path)
                        )
                    )
                }
            } else {
                fail("framework.stages", "must list exactly five stages, levels 1 to 5", top["stages"] ?? root)
            }
            var dimensions: [CapabilityFramework.Dimension] = []
            var seen = Set<String>()
            if case .sequence(let items)? = top["dimensions"], !items.isEmpty, items.count <= 20 {
                for (d, item) in items.enumerated() {
                    let path = "dimensions[\(d)]"
                    let m = members(item, path, allowed: ["id", "title", "description", "factors"])
                    let dimensionID = id(m, path)
                    var factors: [CapabilityFramework.Factor] = []
                    if case .sequence(let list)? = m["factors"], !list.isEmpty, list.count <= 100 {
                        for (f, node) in list.enumerated() {
                            let fpath = path + ".factors[\(f)]"
                            let fm = members(node, fpath, allowed: ["id", "title", "description", "typologies", "indicators"])
                            let factorID = id(fm, fpath)
                            if !factorID.isEmpty && !seen.insert(factorID).inserted {
                                fail(fpath + ".id", "\(factorID) is used twice", fm["id"])
                            }
                            var typologies: [Typology] = []
                            if case .sequence(let names)? = fm["typologies"] {
                                for name in names {
                                    if let t = name.string.flatMap(Typology.init(rawValue:)) {
                                        typologies.append(t)
                                    } else {
                                        fail(fpath + ".typologies", "has \"\(name.string ?? "?")\", not a known typology", name)
                                    }
                                }
                            } else if fm["typologies"] != nil {
                                fail(fpath + ".typologies", "must be a list ([] for all typologies)", fm["typologies"])
                            }
                            var indicators: [String] = []
                            if case .mapping(let pairs)? = fm["indicators"] {
                                var byLevel: [Int: String] = [:]
                                for (key, value) in pairs {
                                    guard let level = key.int, (1...5).contains(level), let s = value.string, !s.isEmpty else {
                                        fail(fpath + ".indicators", "must map stages 1 to 5 to text", key)
                                        continue
                                    }
                                    byLevel[level] = s
                                }
                                if byLevel.count == 5 {
                                    indicators = (1...5).compactMap { byLevel[$0] }
                                } else {
                                    fail(fpath + ".indicators", "must give all five stages", fm["indicators"])
                                }
                            } else {
                                fail(
                                    fpath + ".indicators",
                                    "is required: stages 1 to 5 with what is true at each",
                                    fm["indicators"] ?? node
                                )
                            }
                            factors.append(
                                .init(
                                    id: factorID,
                                    title: text(fm, "title", fpath, max: 200),
                                    description: text(fm, "description", fpath),
                                    dimension: dimensionID,
                                    typologies: typologies,
                                    indicators: indicators
                                )
                            )
                        }
                    } else {
                        fail(path + ".factors", "must list 1 to 100 factors", m["factors"] ?? item)
                    }
                    dimensions.append(
                        .init(
                            id: dimensionID,
                            title: text(m, "title", path, max: 200),
                            description: text(m, "description", path),
                            factors: factors
                        )
                    )
                }
            } else {
                fail("framework.dimensions", "must list 1 to 20 dimensions", top["dimensions"] ?? root)
            }
            guard problems.isEmpty else { return nil }
            return CapabilityFramework(
                id: frameworkID,
                version: version,
                title: title,
                description: description,
                stages: stages,
                dimensions: dimensions
            )
        }
    }
}
