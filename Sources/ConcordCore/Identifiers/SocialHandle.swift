/// Reads social-media handles into `platform:handle`, so that `@Name`, `telegram:name` and
/// `https://t.me/name` are one key.
public enum SocialHandleNormalizer {
    /// Characters and lengths of a platform's usernames, where the platform publishes them.
    struct HandleRule: Sendable {
        /// Fewest characters.
        let minLength: Int
        /// Most characters.
        let maxLength: Int
        /// ASCII characters allowed besides `a-z` and `0-9`.
        let extraCharacters: [UInt8]
        /// The allowed characters in words, for reasons.
        let allowed: String
    }

    /// Platform names and common abbreviations mapped to the one name Concord uses.
    static let platformAliases: [String: String] = [
        "telegram": "telegram", "tg": "telegram",
        "facebook": "facebook", "fb": "facebook", "messenger": "facebook",
        "instagram": "instagram", "ig": "instagram", "insta": "instagram",
        "x": "x", "twitter": "x",
        "tiktok": "tiktok", "tik-tok": "tiktok",
        "whatsapp": "whatsapp", "wa": "whatsapp",
        "line": "line",
        "youtube": "youtube", "yt": "youtube",
        "discord": "discord",
        "snapchat": "snapchat", "snap": "snapchat",
        "linkedin": "linkedin",
        "threads": "threads",
        "reddit": "reddit",
        "wechat": "wechat", "weixin": "wechat",
        "viber": "viber",
        "signal": "signal",
        "zalo": "zalo",
        "kakaotalk": "kakaotalk", "kakao": "kakaotalk",
        "skype": "skype",
    ]

    /// Names for reasons.
    static let displayNames: [String: String] = [
        "telegram": "Telegram", "facebook": "Facebook", "instagram": "Instagram", "x": "X", "tiktok": "TikTok",
        "whatsapp": "WhatsApp", "line": "LINE", "youtube": "YouTube", "discord": "Discord",
        "snapchat": "Snapchat", "linkedin": "LinkedIn", "threads": "Threads", "reddit": "Reddit",
    ]

    /// Username rules of the platforms that publish them.
    static let rules: [String: HandleRule] = [
        "telegram": HandleRule(
            minLength: 5,
            maxLength: 32,
            extraCharacters: [UInt8(ascii: "_")],
            allowed: "letters a-z, digits and _"
        ),
        "instagram": HandleRule(
            minLength: 1,
            maxLength: 30,
            extraCharacters: [UInt8(ascii: "."), UInt8(ascii: "_")],
            allowed: "letters a-z, digits, . and _"
        ),
        "x": HandleRule(
            minLength: 1,
            maxLength: 15,
            extraCharacters: [UInt8(ascii: "_")],
            allowed: "letters a-z, digits and _"
        ),
        "tiktok": HandleRule(
            minLength: 2,
            maxLength: 24,
            extraCharacters: [UInt8(ascii: "."), UInt8(ascii: "_")],
            allowed: "letters a-z, digits, . and _"
        ),
    ]

    /// Hosts of profile links and the platform each belongs to.
    static let profileHosts: [String: String] = [
        "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram",
        "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook", "m.me": "facebook",
        "instagram.com": "instagram", "instagr.am": "instagram",
        "x.com": "x", "twitter.com": "x",
        "tiktok.com": "tiktok", "vm.tiktok.com": "tiktok", "vt.tiktok.com": "tiktok",
        "line.me": "line",
        "wa.me": "whatsapp", "api.whatsapp.com": "whatsapp", "whatsapp.com": "whatsapp",
        "chat.whatsapp.com": "whatsapp",
        "youtube.com": "youtube", "youtu.be": "youtube",
        "discord.com": "discord", "discordapp.com": "discord", "discord.gg": "discord",
        "snapchat.com": "snapchat",
        "linkedin.com": "linkedin",
        "threads.net": "threads", "threads.com": "threads",
        "reddit.com": "reddit",
    ]

    /// Sub-domains that serve the same profiles as the main site (`www.`, mobile sites).
    static let mirrorPrefixes = ["www.", "m.", "mobile.", "web.", "mbasic.", "touch.", "old.", "new."]

    /// Reads a handle into `platform:handle`.
    ///
    /// - Parameters:
    ///   - raw: the handle as typed: `@name`, `platform:@name`, or a profile link (`https://t.me/name`,
    ///     `instagram.com/name`, `wa.me/66812345678`, ...).
    ///   - platform: the platform when the value does not name it (`telegram`, `fb`, `twitter`, ...).
    /// - Returns: the platform's canonical name, a colon, and the handle in lower case without `@`
    ///   (a WhatsApp account is its international number's digits).
    /// - Throws: `IdentifierError` when no platform is given or found, when a link is not a profile
    ///   link, or when the handle breaks its platform's rules.
    public static func normalize(_ raw: String, platform: String?) throws(IdentifierError) -> String {
        let value = raw.trimmingWhitespace()
        guard !value.isEmpty else { throw IdentifierError(.handle, "the handle is empty") }

        let platformName: String
        let handle: String
        if let link = try profileLink(value) {
            platformName = link.platform
            handle = link.handle
        } else if let prefixed = try prefixedHandle(value, platformGiven: platform) {
            platformName = prefixed.platform
            handle = prefixed.handle
        } else if let platform, !platform.trimmingWhitespace().isEmpty {
            platformName = try canonicalPlatform(platform)
            handle = value
        } else {
            throw IdentifierError(
                .handle,
                "say which platform this handle is on (for example telegram:@name), or paste the profile link"
            )
        }
        let canonical = try canonicalHandle(handle, platform: platformName)
        return platformName + ":" + canonical
    }

    // MARK: - Platforms

    /// The name Concord uses for a platform; unknown platforms are kept as `[a-z0-9-]`, up to 32.
    static func canonicalPlatform(_ raw: String) throws(IdentifierError) -> String {
        guard let name = raw.lowercaseSlug() else {
            throw IdentifierError(
                .handle,
                "\"\(raw)\" is not a platform name: use letters, digits and dashes (telegram, facebook, x, ...)"
            )
        }
        guard !name.isEmpty && name.count <= 32 else {
            throw IdentifierError(.handle, "a platform name has 1 to 32 characters; \"\(raw)\" has \(name.count)")
        }
        return platformAliases[name] ?? name
    }

    /// `platform:handle`, when the part before the first colon is a platform name.
    ///
    /// When a platform is given separately and the prefix is not a known platform, the colon is taken
    /// as part of the handle.
    static func prefixedHandle(
        _ value: String,
        platformGiven: String?
    ) throws(IdentifierError)
        -> (platform: String, handle: String)?
    {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let prefix = value[..<colon]
        guard !prefix.isEmpty && prefix.unicodeScalars.count <= 32 else { return nil }
        for scalar in prefix.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", " ": continue
            default: return nil
            }
        }
        let handle = String(value[value.index(after: colon)...])
        let platform = try canonicalPlatform(String(prefix))
        if platformAliases[platform] != nil {
            return (platform, handle)
        }
        if let platformGiven, !platformGiven.trimmingWhitespace().isEmpty {
            return nil
        }
        return (platform, handle)
    }

    // MARK: - Profile links

    /// The platform and handle of a profile link, nil when the value is not a link to a known site.
    static func profileLink(_ value: String) throws(IdentifierError) -> (platform: String, handle: String)? {
        var rest = Substring(value)
        var hasScheme = false
        let lower = value.lowercased()
        if lower.hasPrefix("https://") {
            rest = rest.dropFirst(8)
            hasScheme = true
        } else if lower.hasPrefix("http://") {
            rest = rest.dropFirst(7)
            hasScheme = true
        }
        let hostEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var host = rest[..<hostEnd].lowercased()
        if let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        if host.hasSuffix(".") {
            host.removeLast()
        }
        guard let known = knownHost(host) else {
            if hasScheme {
                throw IdentifierError(
                    .handle,
                    "a link to \(host) is not a profile link of a platform Concord knows: "
                        + "report it as a URL, or give the handle as platform:name"
                )
            }
            return nil
        }

        var path = rest[hostEnd...]
        var query: Substring = ""
        if let mark = path.firstIndex(of: "?") {
            query = path[path.index(after: mark)...]
            path = path[..<mark]
        }
        if let hash = path.firstIndex(of: "#") {
            path = path[..<hash]
        }
        if let hash = query.firstIndex(of: "#") {
            query = query[..<hash]
        }
        let segments = path.split(separator: "/").map { percentDecoded($0) }
        let handle = try handleInLink(platform: known.platform, host: known.host, segments: segments, query: query)
        return (known.platform, handle)
    }

    /// The platform of a host, trying it as is and then without mirror sub-domains (`www.`, `m.`).
    static func knownHost(_ host: String) -> (platform: String, host: String)? {
        var candidate = host
        for _ in 0...mirrorPrefixes.count {
            if let platform = profileHosts[candidate] {
                return (platform, candidate)
            }
            guard let prefix = mirrorPrefixes.first(where: { candidate.hasPrefix($0) }) else { return nil }
            candidate = String(candidate.dropFirst(prefix.count))
        }
        return nil
    }

    /// The handle in the path or query of a profile link on `host`.
    static func handleInLink(
        platform: String,
        host: String,
        segments: [String],
        query: Substring
    )
        throws(IdentifierError) -> String
    {
        let name = displayNames[platform] ?? platform
        let first = segments.first?.lowercased() ?? ""
        let missing = IdentifierError(.handle, "this \(name) link has no profile name in it")
        func segment(_ index: Int) throws(IdentifierError) -> String {
            guard index >= 0 && index < segments.count && !segments[index].isEmpty else { throw missing }
            return segments[index]
        }
        func notAProfile(_ what: String) -> IdentifierError {
            IdentifierError(.handle, "\(what), not a profile: report it as a URL")
        }

        switch platform {
        case "telegram":
            if first.hasPrefix("+") || first == "joinchat" {
                throw notAProfile("a Telegram invite link leads to a group or channel")
            }
            if first == "c" { throw notAProfile("this is a link to a post in a private Telegram channel") }
            if first == "s" { return try segment(1) }
            return try segment(0)
        case "facebook":
            if host == "m.me" { return try segment(0) }
            if first == "profile.php" {
                guard let id = queryValue("id", in: query), !id.isEmpty else { throw missing }
                return id
            }
            if first == "people" || first == "pages" {
                let id = try segment(segments.count - 1)
                guard segments.count >= 2, id.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
                else { throw missing }
                return id
            }
            let nonProfiles: Set<String> = [
                "groups", "events", "share", "watch", "photo", "photo.php", "story.php", "permalink.php", "reel",
                "posts", "marketplace", "sharer.php", "login", "help",
            ]
            if nonProfiles.contains(first) { throw notAProfile("this is a link to a Facebook group, post or video") }
            return try segment(0)
        case "instagram":
            if ["p", "reel", "reels", "tv", "explore"].contains(first) {
                throw notAProfile("this is a link to an Instagram post")
            }
            if first == "stories" { return try segment(1) }
            return try segment(0)
        case "x":
            let nonProfiles: Set<String> = [
                "i", "home", "intent", "search", "hashtag", "share", "explore", "messages", "notifications",
                "settings", "compose", "login",
            ]
            if nonProfiles.contains(first) { throw notAProfile("this X link is a page of the site") }
            return try segment(0)
        case "tiktok":
            let handle = try segment(0)
            guard handle.hasPrefix("@") else {
                throw notAProfile("a TikTok profile link has /@name; this is a short or video link")
            }
            return handle
        case "line":
            // line.me/ti/p/~id and line.me/R/ti/p/@id
            guard let marker = segments.lastIndex(of: "p") else {
                throw notAProfile("a LINE add-friend link looks like line.me/ti/p/~name; this one is something else")
            }
            var id = try segment(marker + 1)
            if id.hasPrefix("~") { id.removeFirst() }
            return id
        case "whatsapp":
            if host == "chat.whatsapp.com" { throw notAProfile("a WhatsApp group invite leads to a group") }
            if host == "wa.me" {
                if first == "message" { throw notAProfile("a WhatsApp message link hides the number") }
                return try segment(0)
            }
            guard let phone = queryValue("phone", in: query), !phone.isEmpty else { throw missing }
            return phone
        case "youtube":
            if host == "youtu.be" { throw notAProfile("this is a link to a YouTube video") }
            if first.hasPrefix("@") { return try segment(0) }
            if first == "c" || first == "user" || first == "channel" { return try segment(1) }
            if ["watch", "shorts", "playlist", "live", "embed", "results"].contains(first) {
                throw notAProfile("this is a link to a YouTube video")
            }
            return try segment(0)
        case "discord":
            if host == "discord.gg" || first == "invite" {
                throw notAProfile("a Discord invite leads to a server")
            }
            if first == "users" { return try segment(1) }
            throw notAProfile("a Discord profile link looks like discord.com/users/ID; this one is something else")
        case "snapchat":
            if first == "add" { return try segment(1) }
            return try segment(0)
        case "linkedin":
            if first == "in" { return try segment(1) }
            throw notAProfile("a LinkedIn profile link looks like linkedin.com/in/name; this one is something else")
        case "reddit":
            if first == "user" || first == "u" { return try segment(1) }
            throw notAProfile("a Reddit profile link looks like reddit.com/user/name; this one is something else")
        default:
            return try segment(0)
        }
    }

    /// The percent-decoded value of `name` in a URL query.
    static func queryValue(_ name: String, in query: Substring) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 && parts[0] == name {
                return percentDecoded(parts[1])
            }
        }
        return nil
    }

    /// `text` with `%XX` escapes decoded (as UTF-8); malformed escapes are kept as typed.
    static func percentDecoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Handles

    /// The handle lower-cased without its leading `@`, checked against the platform's rules.
    static func canonicalHandle(_ raw: String, platform: String) throws(IdentifierError) -> String {
        var handle = raw.trimmingWhitespace()
        if handle.hasPrefix("@") { handle.removeFirst() }
        let name = displayNames[platform] ?? platform
        guard !handle.isEmpty else { throw IdentifierError(.handle, "there is no \(name) handle after the platform") }
        if platform == "whatsapp" { return try whatsAppNumber(handle) }

        handle = handle.lowercased()
        if platform == "facebook" {
            // Facebook ignores dots in usernames: john.smith and johnsmith are one account.
            handle.removeAll(where: { $0 == "." })
        }
        if let rule = rules[platform] {
            var count = 0
            for scalar in handle.unicodeScalars {
                let isAllowed: Bool
                switch scalar {
                case "a"..."z", "0"..."9": isAllowed = true
                default: isAllowed = scalar.isASCII && rule.extraCharacters.contains(UInt8(scalar.value))
                }
                guard isAllowed else {
                    throw IdentifierError(
                        .handle,
                        "\"\(Character(scalar))\" cannot appear in \(name) usernames (\(rule.allowed) only)"
                    )
                }
                count += 1
            }
            guard count >= rule.minLength && count <= rule.maxLength else {
                throw IdentifierError(
                    .handle,
                    "\(name) usernames have \(rule.minLength) to \(rule.maxLength) characters; this has \(count)"
                )
            }
            return handle
        }

        var count = 0
        for scalar in handle.unicodeScalars {
            if scalar.properties.isWhitespace {
                throw IdentifierError(.handle, "\(name) handles have no spaces inside")
            }
            if scalar == "/" || scalar == "\\" {
                throw IdentifierError(.handle, "\(name) handles have no slashes: give the name, or the whole profile link")
            }
            if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
                throw IdentifierError(.handle, "the handle has an invisible control character")
            }
            count += 1
        }
        guard count >= 1 else {
            throw IdentifierError(.handle, "there is no \(name) handle left once its dots are dropped")
        }
        guard count <= 64 else {
            throw IdentifierError(.handle, "\(name) handles have at most 64 characters; this has \(count)")
        }
        return handle
    }

    /// A WhatsApp account: the digits of its number in international form, as in `wa.me/66812345678`.
    static func whatsAppNumber(_ raw: String) throws(IdentifierError) -> String {
        var digits = ""
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "0"..."9":
                digits.unicodeScalars.append(scalar)
            case "+", " ", "-", ".", "(", ")", "\u{00A0}":
                continue
            default:
                throw IdentifierError(
                    .handle,
                    "a WhatsApp account is a phone number in international form (such as +66 81 234 5678); "
                        + "\"\(Character(scalar))\" is not part of one"
                )
            }
        }
        if digits.hasPrefix("00") { digits.removeFirst(2) }
        guard !digits.hasPrefix("0") else {
            throw IdentifierError(
                .handle,
                "write the WhatsApp number with its country code (such as +66 81 234 5678), not in national form"
            )
        }
        guard digits.count >= 7 && digits.count <= 15 else {
            throw IdentifierError(
                .handle,
                "a phone number in international form has 7 to 15 digits; this has \(digits.count)"
            )
        }
        return digits
    }
}
