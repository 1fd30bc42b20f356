public import ConcordCore

/// One line of a peer's feed page after reading: a line to take, or why it is refused.
public enum FeedLineOutcome: Sendable {
    /// A verified record whose content passed admission, or the closing line.
    case line(RecordFeedLine)
    /// A line not taken: its log position when it could be read (so that the cursor can pass it), the record's
    /// id when it had one, and why, in words that name fields, not their content.
    case refused(sequence: Int64?, recordID: String?, reason: String)

    /// Reads one line: parses it, verifies the record's id and signature, and checks its content as API input.
    public init(_ line: LineSplitter.Line) {
        let bytes: [UInt8]
        switch line {
        case .tooLong(let tail):
            self = .refused(
                sequence: Self.sequence(atEndOf: tail),
                recordID: nil,
                reason: "the line is longer than a record may be"
            )
            return
        case .text(let text):
            bytes = text
        }
        do {
            let parsed = try RecordFeedLine.parse(bytes)
            if case .record(let sequence, _, let record) = parsed {
                do {
                    try RecordAdmission.check(record)
                } catch {
                    self = .refused(sequence: sequence, recordID: record.id, reason: Self.redacted(error.description))
                    return
                }
            }
            self = .line(parsed)
        } catch {
            self = .refused(sequence: Self.sequence(atEndOf: bytes.suffix(64)), recordID: nil, reason: Self.redacted("\(error)"))
        }
    }

    /// `text` with every quoted part (“…” or "…") replaced by an ellipsis: validators quote the value they refuse,
    /// and a record's values (numbers, accounts, names) do not belong in logs.
    static func redacted(_ text: String) -> String {
        var out = ""
        var closing: Character?
        for character in text {
            if let close = closing {
                if character == close {
                    closing = nil
                    out.append("…")
                }
            } else if character == "“" {
                closing = "”"
            } else if character == "\"" {
                closing = "\""
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The log position of a record line from its last bytes: lines are canonical JSON, whose last member is
    /// `"sequence":N`. Nil when the tail does not end that way.
    static func sequence(atEndOf tail: some Collection<UInt8>) -> Int64? {
        var bytes = Array(tail)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.last == UInt8(ascii: "}") else { return nil }
        bytes.removeLast()
        var digits: [UInt8] = []
        while let last = bytes.last, last >= UInt8(ascii: "0"), last <= UInt8(ascii: "9"), digits.count < 19 {
            digits.insert(last, at: 0)
            bytes.removeLast()
        }
        let key = Array(#""sequence":"#.utf8)
        guard !digits.isEmpty, bytes.count >= key.count, Array(bytes.suffix(key.count)) == key else { return nil }
        return Int64(String(decoding: digits, as: UTF8.self))
    }
}
