import Foundation

/// Free TCP ports on 127.0.0.1, for starting several nodes in one process whose URLs must be known before
/// they listen (each is told its peers' URLs): found by binding to port 0 and releasing the sockets.
public enum LoopbackPorts {
    /// No port could be had.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "no free ports on 127.0.0.1" }
    }

    /// `count` distinct free ports.
    /// - Throws: `Unavailable` when a socket cannot be bound.
    public static func free(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Unavailable() }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0 else { throw Unavailable() }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
