extension JSONValue {
    /// Parses a flat JSON object whose values are all strings: the shape of a check item or a normalize line.
    /// - Returns: nil for anything else (numbers, nesting, invalid text): callers then use `parse(_:)`, which
    ///   also gives the error message.
    public static func parseFlatStringObject(_ bytes: [UInt8]) -> JSONValue? {
        parseFlatStrings(bytes).map { .object($0.mapValues(JSONValue.string)) }
    }

    /// The members of a flat JSON object of strings, or nil for anything else (see `parseFlatStringObject`).
    public static func parseFlatStrings(_ bytes: [UInt8]) -> [String: String]? {
        guard case .object(let members) = try? JSONParser.parse(bytes, rejectingDuplicateNames: true) else { return nil }
        var strings: [String: String] = [:]
        strings.reserveCapacity(members.count)
        for (name, value) in members {
            guard case .string(let text) = value else { return nil }
            strings[name] = text
        }
        return strings
    }
}
