public import ConcordCore

/// A capability framework: dimensions of factors, each assessed at one of five stages. Read from YAML by
/// `CapabilityFrameworkFile` (ConcordInterop); assessments name the framework's id and version.
public struct CapabilityFramework: Sendable, Equatable {
    /// One of the five stages, 1 (start-up) to 5 (dynamic).
    public struct Stage: Sendable, Equatable {
        public let level: Int
        public let id: String
        public let title: String
        public let description: String

        public init(level: Int, id: String, title: String, description: String) {
            self.level = level
            self.id = id
            self.title = title
            self.description = description
        }
    }

    /// One factor: what is assessed, and what is observably true at each stage.
    public struct Factor: Sendable, Equatable {
        public let id: String
        public let title: String
        public let description: String
        /// The dimension it belongs to.
        public let dimension: String
        /// The typologies whose losses it most reduces; empty for all.
        public let typologies: [Typology]
        /// What is true at stages 1 to 5, in order.
        public let indicators: [String]

        public init(
            id: String,
            title: String,
            description: String,
            dimension: String,
            typologies: [Typology],
            indicators: [String]
        ) {
            self.id = id
            self.title = title
            self.description = description
            self.dimension = dimension
            self.typologies = typologies
            self.indicators = indicators
        }
    }

    /// A dimension and its factors, in the file's order.
    public struct Dimension: Sendable, Equatable {
        public let id: String
        public let title: String
        public let description: String
        public let factors: [Factor]

        public init(id: String, title: String, description: String, factors: [Factor]) {
            self.id = id
            self.title = title
            self.description = description
            self.factors = factors
        }
    }

    public let id: String
    public let version: String
    public let title: String
    public let description: String
    public let stages: [Stage]
    public let dimensions: [Dimension]

    public init(id: String, version: String, title: String, description: String, stages: [Stage], dimensions: [Dimension]) {
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.stages = stages
        self.dimensions = dimensions
    }

    /// Every factor, dimension by dimension.
    public var factors: [Factor] { dimensions.flatMap(\.factors) }

    /// The factor with `id`.
    public func factor(_ id: String) -> Factor? { factors.first { $0.id == id } }

    /// The framework as JSON, the shape `GET /api/v1/framework` answers with.
    public var json: JSONValue {
        [
            "id": .string(id), "version": .string(version), "title": .string(title), "description": .string(description),
            "stages": .array(
                stages.map {
                    [
                        "level": .integer(Int64($0.level)), "id": .string($0.id), "title": .string($0.title),
                        "description": .string($0.description),
                    ]
                }
            ),
            "dimensions": .array(
                dimensions.map { d in
                    [
                        "id": .string(d.id), "title": .string(d.title), "description": .string(d.description),
                        "factors": .array(
                            d.factors.map { f in
                                [
                                    "id": .string(f.id), "title": .string(f.title), "description": .string(f.description),
                                    "typologies": .array(f.typologies.map { .string($0.rawValue) }),
                                    "indicators": .array(f.indicators.map(JSONValue.string)),
                                ]
                            }
                        ),
                    ]
                }
            ),
        ]
    }
}

/// One organisation's assessment of itself (or a peer's review of it), factor by factor.
public struct CapabilityAssessment: Sendable, Equatable {
    /// One factor's assessment.
    public struct Entry: Sendable, Equatable {
        public let factor: String
        /// Stage now, 1-5.
        public let stage: Int
        /// Stage aimed for, 1-5 (at least `stage`).
        public let target: Int

        public init(factor: String, stage: Int, target: Int) {
            self.factor = factor
            self.stage = stage
            self.target = target
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Stage and target of `factor`.
    public func entry(_ factor: String) -> Entry? { entries.first { $0.factor == factor } }
}

/// The gap view: how far each factor is from its target, weighted by what the risk register says is being lost.
public enum CapabilityGaps {
    /// One factor's gap.
    public struct Gap: Sendable, Equatable {
        public let factor: String
        public let dimension: String
        public let stage: Int
        public let target: Int
        /// `target - stage`, never below 0.
        public let gap: Int
        /// The share (0-1) of expected annual loss in the typologies the factor acts on.
        public let riskShare: Double
        /// `gap x (1 + riskShare)`: a factor that acts on where most money is lost counts up to twice.
        public let weighted: Double
    }

    /// The gaps of `assessment` against `framework`, largest weighted first; factors without a gap are left out.
    /// - Parameter lossByTypology: expected annual loss per typology (from the risk register); empty weighs every
    ///   factor the same.
    public static func gaps(
        _ assessment: CapabilityAssessment,
        framework: CapabilityFramework,
        lossByTypology: [Typology: Double]
    ) -> [Gap] {
        let total = lossByTypology.values.reduce(0, +)
        var out: [Gap] = []
        for factor in framework.factors {
            guard let entry = assessment.entry(factor.id), entry.target > entry.stage else { continue }
            let share: Double
            if total <= 0 {
                share = 0
            } else if factor.typologies.isEmpty {
                share = 1
            } else {
                share = factor.typologies.reduce(0) { $0 + (lossByTypology[$1] ?? 0) } / total
            }
            let gap = entry.target - entry.stage
            out.append(
                Gap(
                    factor: factor.id,
                    dimension: factor.dimension,
                    stage: entry.stage,
                    target: entry.target,
                    gap: gap,
                    riskShare: share,
                    weighted: Double(gap) * (1 + share)
                )
            )
        }
        return out.sorted { $0.weighted != $1.weighted ? $0.weighted > $1.weighted : $0.factor < $1.factor }
    }
}
