public import ConcordCore
public import Foundation

/// A node's data directory: its key (`node.key`, owner-only), its profile (`node.json`) and, for the
/// embedded store, its SQLite file (`concord.sqlite`).
public struct DataDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// A data directory at `path` (relative paths are read from the current directory).
    public init(path: String) {
        url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    var keyURL: URL { url.appendingPathComponent("node.key") }
    var profileURL: URL { url.appendingPathComponent("node.json") }

    /// The embedded store's file.
    public var sqlitePath: String { url.appendingPathComponent("concord.sqlite").path }

    /// Whether `init` has been run here.
    public var isInitialised: Bool { FileManager.default.fileExists(atPath: keyURL.path) }

    /// Creates the directory, a new node key and the profile.
    /// - Throws: `DataDirectoryError.alreadyInitialised` when a key exists; file errors.
    public func initialise(profile: NodeProfile) throws -> NodeKey {
        guard !isInitialised else { throw DataDirectoryError.alreadyInitialised(url.path) }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let key = NodeKey()
        let keyText = Data((ByteText.base64url(key.seed) + "\n").utf8)
        guard FileManager.default.createFile(atPath: keyURL.path, contents: keyText, attributes: [.posixPermissions: 0o600])
        else { throw DataDirectoryError.unwritable(keyURL.path) }
        try saveProfile(profile)
        return key
    }

    /// Writes the profile.
    public func saveProfile(_ profile: NodeProfile) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(profile).write(to: profileURL, options: .atomic)
    }

    /// Reads the node key and profile.
    /// - Throws: `DataDirectoryError` when the directory was not initialised or its files are damaged.
    public func load() throws -> (key: NodeKey, profile: NodeProfile) {
        guard isInitialised else { throw DataDirectoryError.notInitialised(url.path) }
        let keyText = String(decoding: try Data(contentsOf: keyURL), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        guard let seed = ByteText.fromBase64url(keyText), let key = try? NodeKey(seed: seed) else {
            throw DataDirectoryError.damaged(keyURL.path)
        }
        let profile: NodeProfile
        do {
            profile = try JSONDecoder().decode(NodeProfile.self, from: Data(contentsOf: profileURL))
        } catch {
            throw DataDirectoryError.damaged(profileURL.path)
        }
        return (key, profile)
    }
}

/// A data directory that cannot be used.
public enum DataDirectoryError: Error, Sendable, CustomStringConvertible {
    case notInitialised(String)
    case alreadyInitialised(String)
    case damaged(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .notInitialised(let p):
            "no node in \(p): run `concord init --data-dir \(p) --organisation NAME --jurisdiction CC` first"
        case .alreadyInitialised(let p): "\(p) already holds a node key; refusing to overwrite it"
        case .damaged(let p): "\(p) cannot be read; restore it from a backup"
        case .unwritable(let p): "cannot write \(p)"
        }
    }
}
