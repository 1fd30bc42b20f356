import AsyncHTTPClient
import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import UnixSignals

/// A simulated region on loopback: members in one process, each with its own store, key and port, peered as a
/// partial mesh, the way a region's anti-scam centres, police units, banks and telcos would be.
struct RegionDemo {
    struct Member {
        let name: String
        let organisation: String
        let kind: OrganisationKind
        let jurisdiction: String
        let timeZone: String
    }

    static let members: [Member] = [
        Member(
            name: "th-ascc",
            organisation: "Thai Anti-Scam Centre",
            kind: .antiScamCentre,
            jurisdiction: "TH",
            timeZone: "Asia/Bangkok"
        ),
        Member(
            name: "my-nsrc",
            organisation: "Malaysian Scam Response Centre",
            kind: .antiScamCentre,
            jurisdiction: "MY",
            timeZone: "Asia/Kuala_Lumpur"
        ),
        Member(
            name: "ph-cicc",
            organisation: "Philippine Cybercrime Centre",
            kind: .lawEnforcement,
            jurisdiction: "PH",
            timeZone: "Asia/Manila"
        ),
        Member(
            name: "sg-bank",
            organisation: "Singapore Bank Fraud Team",
            kind: .financial,
            jurisdiction: "SG",
            timeZone: "Asia/Singapore"
        ),
        Member(
            name: "telco",
            organisation: "Regional Telco Trust and Safety",
            kind: .telecom,
            jurisdiction: "SG",
            timeZone: "Asia/Singapore"
        ),
        Member(
            name: "au-afp",
            organisation: "Australian Police Cybercrime",
            kind: .lawEnforcement,
            jurisdiction: "AU",
            timeZone: "Australia/Sydney"
        ),
        Member(
            name: "fj-police",
            organisation: "Fiji Police Cybercrime Unit",
            kind: .lawEnforcement,
            jurisdiction: "FJ",
            timeZone: "Pacific/Fiji"
        ),
        Member(
            name: "ke-dci",
            organisation: "Kenya Police Cyber Unit",
            kind: .lawEnforcement,
            jurisdiction: "KE",
            timeZone: "Africa/Nairobi"
        ),
        Member(
            name: "ng-npf",
            organisation: "Nigeria Police Cybercrime Centre",
            kind: .lawEnforcement,
            jurisdiction: "NG",
            timeZone: "Africa/Lagos"
        ),
        Member(
            name: "eu-partner",
            organisation: "EU Cybercrime Partner",
            kind: .international,
            jurisdiction: "NL",
            timeZone: "Europe/Amsterdam"
        ),
    ]

    /// Who peers with whom: a partial mesh. Fiji reaches the rest only through Australia; Kenya and Nigeria
    /// through the EU partner.
    static let links: [(String, String)] = [
        ("th-ascc", "my-nsrc"), ("th-ascc", "ph-cicc"), ("th-ascc", "sg-bank"), ("th-ascc", "telco"), ("th-ascc", "au-afp"),
        ("th-ascc", "eu-partner"), ("my-nsrc", "sg-bank"), ("my-nsrc", "ph-cicc"), ("sg-bank", "telco"), ("au-afp", "fj-police"),
        ("au-afp", "eu-partner"), ("ke-dci", "ng-npf"), ("ke-dci", "eu-partner"), ("ng-npf", "eu-partner"),
    ]

    struct Running {
        let member: Member
        let key: NodeKey
        let url: String
        let analystToken: String
    }

    let count: Int
    let basePort: Int
    let reportsPerNode: Int
    let logger: Logger
    /// The password of every member's demo accounts.
    let password: String

    /// Creates the members' data directories, keys, tokens and peerings, then builds their applications.
    func build(in root: URL) async throws -> (running: [Running], services: [any Service]) {
        let chosen = Array(Self.members.prefix(count))
        let names = Set(chosen.map(\.name))
        // Each member's directory is a whole node (key, profile, store), so that `concord serve`, `campaigns`,
        // `risks` and the rest run on it after the demo; a rerun on the same directory keeps the identities.
        let directories = chosen.map { DataDirectory(path: root.appendingPathComponent($0.name).path) }
        let profiles = chosen.map { member in
            NodeProfile(
                organisation: member.organisation,
                kind: member.kind,
                jurisdiction: member.jurisdiction,
                timeZone: member.timeZone,
                contact: "duty desk of \(member.organisation)"
            )
        }
        let keys = try zip(directories, profiles).map { directory, profile in
            directory.isInitialised ? try directory.load().key : try directory.initialise(profile: profile)
        }
        let ports = basePort == 0 ? try LoopbackPorts.free(chosen.count) : (0..<chosen.count).map { basePort + $0 }
        let urls = ports.map { "http://127.0.0.1:\($0)" }
        var running: [Running] = []
        var services: [any Service] = []
        for (n, member) in chosen.enumerated() {
            let directory = directories[n]
            let profile = profiles[n]
            try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
            let database = DatabaseLocation.sqlite(path: directory.sqlitePath)
            let store = try await SQLStore.open(database, logger: logger)
            let secret = TokenSecret.generate()
            do {
                _ = try await store.addToken(id: secret.id, hash: secret.hash, role: .analyst, label: "demo")
                try await DemoAccounts.ensure(in: store, password: password)
                for (a, b) in Self.links where names.contains(a) && names.contains(b) && (a == member.name || b == member.name) {
                    let other = a == member.name ? b : a
                    guard let index = chosen.firstIndex(where: { $0.name == other }) else { continue }
                    try await store.addPeer(nodeID: keys[index].nodeID, url: urls[index])
                }
                // Each member starts with a few reports of its own, GREEN so that they travel.
                let ledger = Ledger(store: store, logger: logger)
                var generator = SyntheticReports(seed: UInt64(n + 1), jurisdictions: [member.jurisdiction])
                var drafts: [RecordDraft] = []
                for _ in 0..<reportsPerNode {
                    if let draft = try? RecordInput.report(
                        generator.next(),
                        nodeJurisdiction: member.jurisdiction,
                        defaultTLP: .green
                    ) {
                        drafts.append(draft)
                    }
                }
                _ = try await ledger.append(await RecordDraft.signAll(drafts, with: keys[n]))
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            var configuration = NodeConfiguration(
                host: "127.0.0.1",
                port: ports[n],
                key: keys[n],
                profile: profile,
                database: database
            )
            configuration.pullInterval = .seconds(2)
            services.append(try await buildApplication(configuration: configuration, logger: logger))
            running.append(Running(member: member, key: keys[n], url: urls[n], analystToken: secret.token))
        }
        return (running, services)
    }

    func printTable(_ running: [Running], root: URL) {
        var lines = ["", "Concord demo region: \(running.count) nodes on loopback, data in \(root.path)", ""]
        lines.append("  name        juris  url                     node id                           analyst token")
        for r in running {
            lines.append(
                "  \(r.member.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(r.member.jurisdiction)     \(r.url.padding(toLength: 23, withPad: " ", startingAt: 0)) \(r.key.nodeID)  \(r.analystToken)"
            )
        }
        lines.append("")
        lines.append(
            "Peering: "
                + Self.links.filter { l in
                    running.contains { $0.member.name == l.0 } && running.contains { $0.member.name == l.1 }
                }
                .map { "\($0.0)-\($0.1)" }.joined(separator: ", ")
        )
        lines.append("")
        lines.append("Pages: open any url above in a browser and sign in on every node with")
        lines += DemoAccounts.banner(password: password)
        printLine(lines.joined(separator: "\n"))
    }
}
