import Testing

@testable import ConcordCore

@Suite("Social handles")
struct SocialHandleTests {
    @Test("one Telegram account written several ways is one key")
    func telegramSpellings() throws {
        let expected = "telegram:scambot_support"
        let spellings: [(String, String?)] = [
            ("@ScamBot_Support", "telegram"),
            ("ScamBot_Support", "Telegram"),
            ("@scambot_support", "tg"),
            ("telegram:@ScamBot_Support", nil),
            ("TG: scambot_support", nil),
            ("https://t.me/ScamBot_Support", nil),
            ("t.me/scambot_support?start=promo", nil),
            ("https://telegram.me/s/scambot_support", nil),
            ("http://www.t.me/ScamBot_Support/", nil),
        ]
        for (value, platform) in spellings {
            #expect(try SocialHandleNormalizer.normalize(value, platform: platform) == expected, "\(value)")
        }
    }

    @Test("Telegram usernames outside 5 to 32 of a-z, 0-9 and _ are rejected")
    func telegramRules() throws {
        let short = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("telegram:@abcd", platform: nil)
        }
        #expect(short.kind == IdentifierKind.handle)
        #expect(short.reason.contains("5 to 32 characters; this has 4"), "\(short.reason)")
        let dash = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@scam-bot", platform: "telegram")
        }
        #expect(dash.reason.contains("\"-\" cannot appear in Telegram usernames"), "\(dash.reason)")
    }

    @Test("a Telegram invite link is not a profile")
    func telegramInvite() throws {
        let error = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://t.me/+AbCdEf123456", platform: nil)
        }
        #expect(error.reason.contains("invite"), "\(error.reason)")
        #expect(error.reason.contains("report it as a URL"), "\(error.reason)")
    }

    @Test("Instagram profiles from links, prefixes and hints are one key")
    func instagram() throws {
        let expected = "instagram:scam.shop_th"
        #expect(try SocialHandleNormalizer.normalize("https://www.instagram.com/Scam.Shop_TH/", platform: nil) == expected)
        #expect(try SocialHandleNormalizer.normalize("instagram.com/scam.shop_th?igsh=abc", platform: nil) == expected)
        #expect(try SocialHandleNormalizer.normalize("ig:@Scam.Shop_TH", platform: nil) == expected)
        #expect(try SocialHandleNormalizer.normalize("@scam.shop_th", platform: "Instagram") == expected)
        let tooLong = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize(String(repeating: "a", count: 31), platform: "instagram")
        }
        #expect(tooLong.reason.contains("1 to 30 characters; this has 31"), "\(tooLong.reason)")
        let post = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://www.instagram.com/p/C1a2b3c4d5/", platform: nil)
        }
        #expect(post.reason.contains("post"), "\(post.reason)")
    }

    @Test("X and Twitter are one platform")
    func xAndTwitter() throws {
        let expected = "x:scamalert"
        let spellings: [(String, String?)] = [
            ("https://twitter.com/ScamAlert/status/1234567890", nil),
            ("https://mobile.twitter.com/ScamAlert", nil),
            ("x.com/scamalert", nil),
            ("twitter:@ScamAlert", nil),
            ("@ScamAlert", "Twitter"),
            ("@scamalert", "x"),
        ]
        for (value, platform) in spellings {
            #expect(try SocialHandleNormalizer.normalize(value, platform: platform) == expected, "\(value)")
        }
        let tooLong = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@sixteen_chars_xx", platform: "x")
        }
        #expect(tooLong.reason.contains("1 to 15 characters"), "\(tooLong.reason)")
    }

    @Test("TikTok profiles come from /@name links; short links are refused")
    func tiktok() throws {
        #expect(
            try SocialHandleNormalizer.normalize("https://www.tiktok.com/@Scam.Shop?lang=en", platform: nil)
                == "tiktok:scam.shop"
        )
        #expect(try SocialHandleNormalizer.normalize("tiktok:@scam.shop", platform: nil) == "tiktok:scam.shop")
        let short = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://vm.tiktok.com/ZMabc123/", platform: nil)
        }
        #expect(short.reason.contains("short or video link"), "\(short.reason)")
        let oneCharacter = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@a", platform: "tiktok")
        }
        #expect(oneCharacter.reason.contains("2 to 24"), "\(oneCharacter.reason)")
    }

    @Test("Facebook usernames ignore dots and case; numeric profile ids come from profile.php")
    func facebook() throws {
        let expected = "facebook:johnsmith55"
        let spellings: [(String, String?)] = [
            ("https://www.facebook.com/John.Smith.55", nil),
            ("https://m.facebook.com/john.smith.55/", nil),
            ("fb.com/JohnSmith55", nil),
            ("fb:john.smith.55", nil),
            ("johnsmith55", "Facebook"),
            ("https://m.me/john.smith.55", nil),
        ]
        for (value, platform) in spellings {
            #expect(try SocialHandleNormalizer.normalize(value, platform: platform) == expected, "\(value)")
        }
        #expect(
            try SocialHandleNormalizer.normalize("https://www.facebook.com/profile.php?id=100012345678901", platform: nil)
                == "facebook:100012345678901"
        )
        let group = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://www.facebook.com/groups/123456789", platform: nil)
        }
        #expect(group.reason.contains("group"), "\(group.reason)")
    }

    @Test("a WhatsApp account is its international number's digits")
    func whatsapp() throws {
        let expected = "whatsapp:66812345678"
        let spellings: [(String, String?)] = [
            ("https://wa.me/66812345678", nil),
            ("wa.me/66812345678?text=hello", nil),
            ("https://api.whatsapp.com/send?phone=66812345678&text=hi", nil),
            ("whatsapp:+66 81 234 5678", nil),
            ("wa: 0066 81-234-5678", nil),
            ("+66 (81) 234 5678", "WhatsApp"),
        ]
        for (value, platform) in spellings {
            #expect(try SocialHandleNormalizer.normalize(value, platform: platform) == expected, "\(value)")
        }
        let national = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("whatsapp:081 234 5678", platform: nil)
        }
        #expect(national.reason.contains("country code"), "\(national.reason)")
        let group = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://chat.whatsapp.com/AbCdEfGh123", platform: nil)
        }
        #expect(group.reason.contains("group"), "\(group.reason)")
    }

    @Test("LINE, YouTube and Discord profile links")
    func otherLinks() throws {
        #expect(try SocialHandleNormalizer.normalize("https://line.me/ti/p/~ScamShop", platform: nil) == "line:scamshop")
        #expect(try SocialHandleNormalizer.normalize("https://line.me/R/ti/p/%40scamshop", platform: nil) == "line:scamshop")
        #expect(try SocialHandleNormalizer.normalize("line:@ScamShop", platform: nil) == "line:scamshop")
        #expect(
            try SocialHandleNormalizer.normalize("https://www.youtube.com/@ScamChannel", platform: nil) == "youtube:scamchannel"
        )
        #expect(try SocialHandleNormalizer.normalize("yt:@scamchannel", platform: nil) == "youtube:scamchannel")
        #expect(
            try SocialHandleNormalizer.normalize("https://discord.com/users/123456789012345678", platform: nil)
                == "discord:123456789012345678"
        )
        let invite = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://discord.gg/abcDEF", platform: nil)
        }
        #expect(invite.reason.contains("invite"), "\(invite.reason)")
    }

    @Test("unknown platforms are kept as lower-case names")
    func unknownPlatforms() throws {
        #expect(
            try SocialHandleNormalizer.normalize("Bluesky:@Someone.bsky.social", platform: nil)
                == "bluesky:someone.bsky.social"
        )
        #expect(try SocialHandleNormalizer.normalize("@Someone", platform: "My Space") == "my-space:someone")
        let badName = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@someone", platform: "my/space")
        }
        #expect(badName.reason.contains("not a platform name"), "\(badName.reason)")
        let longName = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@someone", platform: String(repeating: "p", count: 33))
        }
        #expect(longName.reason.contains("1 to 32"), "\(longName.reason)")
    }

    @Test("handles on other platforms have no spaces or slashes and at most 64 characters")
    func generalRules() throws {
        #expect(try SocialHandleNormalizer.normalize("viber:Scam_Shop.01", platform: nil) == "viber:scam_shop.01")
        let spaced = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("viber:scam shop", platform: nil)
        }
        #expect(spaced.reason.contains("no spaces"), "\(spaced.reason)")
        let slashed = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("scam/shop", platform: "signal")
        }
        #expect(slashed.reason.contains("no slashes"), "\(slashed.reason)")
        let long = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize(String(repeating: "a", count: 65), platform: "signal")
        }
        #expect(long.reason.contains("at most 64"), "\(long.reason)")
        let empty = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("telegram:@", platform: nil)
        }
        #expect(empty.reason.contains("no Telegram handle"), "\(empty.reason)")
    }

    @Test("a handle without any platform asks for one; a link to an unknown site is refused")
    func needsPlatform() throws {
        let noPlatform = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("@someone", platform: nil)
        }
        #expect(noPlatform.reason.contains("say which platform"), "\(noPlatform.reason)")
        let unknownSite = try #require(throws: IdentifierError.self) {
            try SocialHandleNormalizer.normalize("https://example.com/someone", platform: "telegram")
        }
        #expect(unknownSite.reason.contains("example.com"), "\(unknownSite.reason)")
    }

    @Test("handles go through Identifier.normalize with the platform hint")
    func throughIdentifier() throws {
        let identifier = try Identifier.normalize(
            kind: .handle,
            value: "  @ScamBot_Support ",
            hints: NormalizationHints(platform: "TG")
        )
        #expect(identifier.canonical == "telegram:scambot_support")
    }
}
