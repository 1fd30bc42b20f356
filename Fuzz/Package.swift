// swift-tools-version: 6.0
// The libFuzzer harness: a package of its own, so that the node's build never needs the fuzzer runtime.
// Build and run it with scripts/fuzz.sh.
import Foundation
import PackageDescription

// A local package's identity is the name of its directory, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let concord = root.lastPathComponent.lowercased()

let package = Package(
    name: "ConcordFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "concord-fuzz",
            dependencies: [
                .product(name: "ConcordCore", package: concord),
                .product(name: "ConcordInterop", package: concord),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
