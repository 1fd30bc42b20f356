import ConcordCore
import ConcordInterop
import Foundation

/// `stix`: the interoperability readers (STIX bundles and patterns, MISP events), which live above ConcordCore.
let interop = ProcessInfo.processInfo.environment["CONCORD_FUZZ_TARGET"] == "stix"

/// The target this process fuzzes, from `CONCORD_FUZZ_TARGET` (one of `UntrustedInput.Target`'s raw values, or stix).
let target: UntrustedInput.Target = {
    let name = ProcessInfo.processInfo.environment["CONCORD_FUZZ_TARGET"] ?? ""
    if name == "stix" { return .json }
    guard let target = UntrustedInput.Target(rawValue: name) else {
        let names = (UntrustedInput.Target.allCases.map(\.rawValue) + ["stix"]).joined(separator: ", ")
        FileHandle.standardError.write(Data("CONCORD_FUZZ_TARGET must be one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// Runs once before libFuzzer reads its corpus: writes the target's realistic seeds into the directory named by
/// `CONCORD_FUZZ_SEEDS`, so that the mutations start from records, identifiers and headers as peers send them.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let directory = ProcessInfo.processInfo.environment["CONCORD_FUZZ_SEEDS"] else { return 0 }
    let folder = URL(fileURLWithPath: directory, isDirectory: true)
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (n, seed) in (interop ? InteropFuzzing.seeds : UntrustedInput.seeds(target)).enumerated() {
        try? Data(seed).write(to: folder.appendingPathComponent("seed-\(interop ? "stix" : target.rawValue)-\(n)"))
    }
    return 0
}

/// libFuzzer's entry point: one input, read as the chosen target reads untrusted bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if interop {
        InteropFuzzing.exercise(bytes)
    } else {
        UntrustedInput.exercise(target, bytes)
    }
    return 0
}
