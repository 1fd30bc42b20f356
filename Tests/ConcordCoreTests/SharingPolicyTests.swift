import PropertyBased
import Testing

@testable import ConcordCore

@Suite("Sharing labels between peers")
struct SharingPolicyTests {
    static let origin = "origin"

    func peer(_ id: String, _ jurisdiction: String = "TH", _ communities: Set<String> = []) -> PeerFacts {
        PeerFacts(nodeID: id, jurisdiction: jurisdiction, communities: communities)
    }

    @Test("each TLP level reaches who it should, directly and through a relay")
    func levels() {
        let a = peer("a")
        func may(
            _ tlp: TLPLevel,
            relay: Bool? = nil,
            audience: Audience = Audience(),
            hops: Int = 0,
            holder: String = SharingPolicyTests.origin
        ) -> Bool {
            SharingPolicy.mayServe(
                label: SharingLabel(tlp: tlp, audience: audience, relay: relay),
                origin: Self.origin,
                hops: hops,
                holder: holder,
                to: a
            )
        }
        #expect(may(.clear) && may(.green) && may(.amber) && may(.amberStrict))
        #expect(!may(.red))
        #expect(may(.red, audience: Audience(nodes: ["a"])))
        // Relayed by b, one hop after the origin.
        #expect(may(.green, hops: 1, holder: "b"))
        #expect(!may(.amber, hops: 1, holder: "b"))
        #expect(may(.amber, relay: true, hops: 1, holder: "b"))
        #expect(!may(.amberStrict, relay: true, hops: 1, holder: "b"))
        #expect(!may(.red, relay: true, audience: Audience(nodes: ["a"]), hops: 1, holder: "b"))
        #expect(!may(.green, hops: SharingPolicy.defaultHopLimit, holder: "b"))
        // Never back to the origin.
        #expect(!SharingPolicy.mayServe(label: SharingLabel(tlp: .clear), origin: "a", hops: 1, holder: "b", to: a))
    }

    @Test("audiences narrow every level")
    func audiences() {
        let label = SharingLabel(tlp: .green, audience: Audience(communities: ["asean-scams"], jurisdictions: ["MY", "TH"]))
        func may(_ p: PeerFacts) -> Bool {
            SharingPolicy.mayServe(label: label, origin: Self.origin, hops: 0, holder: Self.origin, to: p)
        }
        #expect(may(peer("a", "TH", ["asean-scams"])))
        #expect(!may(peer("a", "FJ", ["asean-scams"])))
        #expect(!may(peer("a", "MY", ["pacific"])))
    }

    /// A random network, a random label, and the record spread as far as the rule lets it.
    struct Case: CustomStringConvertible {
        var nodes: [PeerFacts]
        var edges: Set<[Int]>
        var label: SharingLabel
        var hopLimit: Int

        init(seed: UInt64) {
            var rng = SeededRandom(seed: seed)
            let count = 3 + Int(rng.next() % 8)
            let jurisdictions = ["TH", "MY", "FJ", "KE"]
            let communities = ["asean-scams", "pacific", "banks"]
            nodes = (0..<count).map { n in
                PeerFacts(
                    nodeID: n == 0 ? SharingPolicyTests.origin : "n\(n)",
                    jurisdiction: jurisdictions[Int(rng.next() % 4)],
                    communities: Set(communities.filter { _ in rng.next() % 2 == 0 })
                )
            }
            edges = []
            for a in 0..<count {
                for b in (a + 1)..<count where rng.next() % 3 == 0 { edges.insert([a, b]) }
            }
            func some<T>(_ items: [T]) -> [T] { rng.next() % 2 == 0 ? [] : items.filter { _ in rng.next() % 2 == 0 } }
            let audience = Audience(
                nodes: some(nodes.map(\.nodeID)),
                communities: some(communities),
                jurisdictions: some(jurisdictions)
            )
            let tlp = TLPLevel.allCases[Int(rng.next() % 5)]
            label = SharingLabel(tlp: tlp, audience: audience, relay: rng.next() % 2 == 0)
            hopLimit = 1 + Int(rng.next() % 4)
        }

        func neighbours(_ n: Int) -> [Int] {
            edges.compactMap { edge in edge[0] == n ? edge[1] : edge[1] == n ? edge[0] : nil }.sorted()
        }

        /// Every node that ends up holding the record, with the hops it took.
        func spread() -> [Int: Int] {
            var held = [0: 0]
            var frontier = [0]
            while let holder = frontier.first {
                frontier.removeFirst()
                for n in neighbours(holder) where held[n] == nil {
                    if SharingPolicy.mayServe(
                        label: label,
                        origin: SharingPolicyTests.origin,
                        hops: held[holder] ?? 0,
                        holder: nodes[holder].nodeID,
                        to: nodes[n],
                        hopLimit: hopLimit
                    ) {
                        held[n] = (held[holder] ?? 0) + 1
                        frontier.append(n)
                    }
                }
            }
            return held
        }

        var description: String { "\(nodes.count) nodes, edges \(edges.sorted { $0.lexicographicallyPrecedes($1) }), \(label)" }
    }

    @Test("no record ever reaches a node its label excludes, directly or through relays")
    func neverBeyondTheLabel() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { seed in
            let c = Case(seed: seed)
            let direct = Set(c.neighbours(0))
            for (n, hops) in c.spread() where n != 0 {
                let node = c.nodes[n]
                let audience = c.label.audience
                // The rules restated from the label, independently of SharingPolicy.
                if c.label.tlp == .red { #expect(audience.nodes.contains(node.nodeID), "\(c)") }
                if !audience.nodes.isEmpty { #expect(audience.nodes.contains(node.nodeID), "\(c)") }
                if !audience.communities.isEmpty { #expect(!node.communities.isDisjoint(with: audience.communities), "\(c)") }
                if !audience.jurisdictions.isEmpty { #expect(audience.jurisdictions.contains(node.jurisdiction), "\(c)") }
                if !direct.contains(n) {
                    #expect(
                        c.label.relay && c.label.tlp != .red && c.label.tlp != .amberStrict,
                        "relayed against its label: \(c)"
                    )
                }
                #expect(hops <= c.hopLimit, "\(c)")
            }
        }
    }

    @Test("an open label reaches every node within the hop limit, so the property above is not empty")
    func openLabelsSpread() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            var c = Case(seed: seed)
            c.label = SharingLabel(tlp: .clear, relay: true)
            // Breadth-first distances from the origin over the peering graph.
            var distance = [0: 0]
            var frontier = [0]
            while let n = frontier.first {
                frontier.removeFirst()
                for m in c.neighbours(n) where distance[m] == nil {
                    distance[m] = (distance[n] ?? 0) + 1
                    frontier.append(m)
                }
            }
            let reachable = Set(distance.filter { $0.value <= c.hopLimit }.keys)
            #expect(Set(c.spread().keys) == reachable, "\(c)")
        }
    }
}
