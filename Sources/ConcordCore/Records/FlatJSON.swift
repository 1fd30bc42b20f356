extension JSONValue {
    /// Parses a flat JSON object whose values are all strings (the shape of a check item or a normalize
    /// line) without building `JSONValue`s for its members, which matters for a streamed check of millions.
    /// - Returns: nil for anything else (numbers, nesting, repeated names, invalid text): callers then use
    ///   `parse(_:)`, which also gives the error message.
    public static func parseFlatStringObject(_ bytes: [UInt8]) -> JSONValue? {
        parseFlatStrings(bytes).map { .object($0.mapValues(JSONValue.string)) }
    }

    /// The members of a flat JSON object of strings, or nil for anything else (see `parseFlatStringObject`).
    public static func parseFlatStrings(_ bytes: [UInt8]) -> [String: String]? {
        JSONParser.flatStrings(bytes)
    }
}
