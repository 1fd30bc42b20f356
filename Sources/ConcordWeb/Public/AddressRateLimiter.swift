import Foundation
import NIOCore
import Synchronization

/// A token bucket per client address: each address may make `perMinute` requests in a burst, then one every
/// `60 / perMinute` seconds. At most `maxAddresses` buckets are kept; past that, full buckets (addresses quiet for a
/// minute) are dropped first, then the oldest.
final class AddressRateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let perMinute: Int
    let maxAddresses: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perMinute: Int, maxAddresses: Int = 100_000) {
        self.perMinute = max(1, perMinute)
        self.maxAddresses = max(1, maxAddresses)
    }

    /// The key of a socket address: the IP address alone, so that new connections do not start new buckets; for
    /// IPv6 its /64 network, which one household or server usually holds whole.
    static func key(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress else { return "unknown" }
        guard case .v6 = address else { return ip }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, ip, &bytes) == 1 else { return ip }
        return bytes.prefix(8).map { String(format: "%02x", $0) }.joined() + "::/64"
    }

    /// Takes one request's token for `key`; nil when allowed, else the whole seconds to wait.
    func take(_ key: String, now: Double = Date().timeIntervalSince1970) -> Int? {
        let capacity = Double(perMinute)
        let rate = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * rate)
            bucket.updated = now
            defer {
                if buckets[key] == nil && buckets.count >= maxAddresses {
                    Self.trim(&buckets, capacity: capacity, rate: rate, now: now)
                }
                buckets[key] = bucket
            }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    private static func trim(_ buckets: inout [String: Bucket], capacity: Double, rate: Double, now: Double) {
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.updated) * rate < capacity }
        let excess = buckets.count - buckets.count * 9 / 10
        guard excess > 0, buckets.count > 1 else { return }
        for key in buckets.sorted(by: { $0.value.updated < $1.value.updated }).prefix(excess).map(\.key) {
            buckets[key] = nil
        }
    }
}
