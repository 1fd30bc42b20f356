import ArgumentParser
import ConcordCore
import ConcordStore
import Foundation
import Logging

/// Options every command that opens a node shares.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The node's data directory.")
    var dataDir: String = "./concord-data"

    @Option(
        name: .long,
        help:
            "PostgreSQL URL (postgres://user:pass@host:port/db) to use instead of the embedded SQLite store; also read from CONCORD_DATABASE_URL."
    )
    var databaseURL: String?

    var directory: DataDirectory { DataDirectory(path: dataDir) }

    var database: DatabaseLocation {
        if let url = databaseURL ?? ProcessInfo.processInfo.environment["CONCORD_DATABASE_URL"], !url.isEmpty {
            return .postgres(url: url)
        }
        return .sqlite(path: directory.sqlitePath)
    }

    func load() throws -> (key: NodeKey, profile: NodeProfile) {
        do {
            return try directory.load()
        } catch let error as DataDirectoryError {
            throw ValidationError(error.description)
        }
    }

    func openStore(logger: Logger) async throws -> SQLStore {
        try await SQLStore.open(database, logger: logger)
    }
}

/// A logger that writes to standard error at `level`, so standard output stays clean for scripts.
func makeLogger(_ label: String = "concord", level: Logger.Level = .info) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = level
    return logger
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes a line to standard output at once (not buffered), for scripts waiting on it.
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
