public import ConcordCore
import Crypto
import Foundation

/// STIX identifiers: `type--UUID`, the same every time for the same thing.
///
/// Cyber observables of the types STIX defines get the UUIDv5 the specification prescribes (its namespace, the
/// canonical JSON of the type's id-contributing properties), so any STIX tool derives the same id from the same
/// value. Every other object (domain and relationship objects, and the observable types STIX does not define)
/// gets a name-based id from the Concord namespace and a name such as the record id: the UUIDv5 construction
/// with the version digit 4, because STIX 2.1 asks for version 4 on those objects and the OASIS validator's
/// strict mode refuses anything else. Either way the same record always gives the same id.
public enum STIXID {
    /// The namespace STIX 2.1 names for deterministic observable ids.
    static let observableNamespace = uuidBytes("00abedb4-aa42-466c-9c01-fed23315a9b7")
    /// Concord's own namespace for the ids of objects made from records, nodes and campaigns.
    static let concordNamespace = uuidBytes("3f7c1a52-9e0b-4d6e-a1c4-5b8d2e7f9c30")

    /// The id of a STIX-defined observable of `type` whose id-contributing properties are `contributing`.
    public static func observable(_ type: String, _ contributing: [String: JSONValue]) -> String {
        type + "--" + nameBased(observableNamespace, JSONValue.object(contributing).canonicalData, version: 5)
    }

    /// The id of a Concord-made object of `type` named `name` (a record id, a node id, a campaign id).
    public static func object(_ type: String, named name: String) -> String {
        type + "--" + nameBased(concordNamespace, Data(name.utf8), version: 4)
    }

    /// True when `text` is `type--UUID` with a well-formed type and UUID, as STIX requires of every id.
    public static func isWellFormed(_ text: String) -> Bool {
        guard let range = text.range(of: "--") else { return false }
        let type = text[..<range.lowerBound]
        let uuid = text[range.upperBound...]
        guard (3...250).contains(type.utf8.count),
            type.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
        else { return false }
        return UUID(uuidString: String(uuid)) != nil && uuid.utf8.count == 36
    }

    /// The type part of an id, or nil when it is not one.
    public static func type(of id: String) -> String? {
        guard isWellFormed(id), let range = id.range(of: "--") else { return nil }
        return String(id[..<range.lowerBound])
    }

    private static func nameBased(_ namespace: [UInt8], _ name: Data, version: UInt8) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: namespace)
        hasher.update(data: name)
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | (version << 4)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (n, byte) in bytes.enumerated() {
            if n == 4 || n == 6 || n == 8 || n == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func uuidBytes(_ text: String) -> [UInt8] {
        let hex = Array(text.replacingOccurrences(of: "-", with: "").utf8)
        return stride(from: 0, to: 32, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16) ?? 0 }
    }
}
