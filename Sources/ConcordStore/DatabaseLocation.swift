/// Where a node keeps its data.
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite file (WAL mode): the embedded default, one binary is a whole node.
    case sqlite(path: String)
    /// A PostgreSQL server, for several replicas sharing one store. `url` is `postgres://user:pass@host:port/db`;
    /// `schema`, when given, is created if missing and used for every table.
    case postgres(url: String, schema: String? = nil)

    /// A description safe to log: the file path, or the PostgreSQL host without credentials.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url, _):
            guard let at = url.lastIndex(of: "@") else { return "postgres" }
            return "postgres://" + url[url.index(after: at)...]
        }
    }
}
