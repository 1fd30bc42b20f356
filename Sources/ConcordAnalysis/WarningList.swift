extension CampaignLinker.LinkPolicy {
    /// Domains that never link reports, shipped with Concord: big platforms, messaging and e-mail
    /// providers, link shorteners and marketplaces that scams use but do not own.
    ///
    /// Two victims who both name `facebook.com` or `gmail.com` were not necessarily scammed by the same
    /// people. What is specific is the page, the profile or the address: `url:https://www.facebook.com/…`,
    /// `email:someone@gmail.com` and `handle:…` keys are not on this list and link as usual.
    ///
    /// Every entry is `domain:` followed by a registrable domain in canonical form, and covers that
    /// domain's sub-domains too (`domain:m.facebook.com`, `domain:docs.google.com`), but never a name
    /// that is its own registrable domain under a shared suffix.
    ///
    /// Shared hosting suffixes such as `github.io`, `blogspot.com`, `wixsite.com`, `vercel.app` or
    /// `pages.dev` are on the Public Suffix List: Concord refuses them as domains, and a site under one
    /// (`scam-shop.github.io`) is its own registrable domain, owned by whoever made it, so it should link
    /// and these suffixes need no entry. Hosts whose sites are plain sub-domains of the host's own
    /// domain (for example `wordpress.com` blogs) are left off for the same reason: listing the domain
    /// would stop every site under it from linking.
    ///
    /// No phone numbers are shipped: bank switchboards, government hotlines and telco short codes differ
    /// by country and change, so each operator adds its own with
    /// `CampaignLinker.addOperatorWarnings(_:)` (as `phone:+…` keys in E.164), together with any local
    /// platforms this list misses.
    public static let defaultWarningList: Set<String> = Set(
        [
            // Social networks and messaging.
            "facebook.com", "fb.com", "m.me", "messenger.com", "instagram.com", "whatsapp.com", "wa.me",
            "t.me", "telegram.org", "telegram.me", "x.com", "twitter.com", "t.co", "tiktok.com",
            "linkedin.com", "lnkd.in", "snapchat.com", "pinterest.com", "reddit.com", "discord.com",
            "discord.gg", "zoom.us", "skype.com", "viber.com", "line.me", "lin.ee", "kakao.com",
            "wechat.com", "qq.com", "zalo.me",
            // Search, video and documents.
            "google.com", "youtube.com", "youtu.be", "goo.gl", "forms.gle", "naver.com", "dropbox.com",
            "microsoft.com", "apple.com",
            // E-mail providers (the domain part only; a full address is specific and links).
            "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
            "yahoo.co.jp", "aol.com", "icloud.com", "me.com", "proton.me", "protonmail.com", "mail.ru",
            "yandex.ru", "163.com",
            // Link shorteners and link pages.
            "bit.ly", "tinyurl.com", "linktr.ee", "cutt.ly", "rebrand.ly", "is.gd", "s.id",
            // Payments, exchanges, marketplaces and super-apps.
            "paypal.com", "binance.com", "coinbase.com", "amazon.com", "grab.com", "tokopedia.com",
            "shopee.co.th", "shopee.com.my", "shopee.sg", "shopee.ph", "shopee.vn", "shopee.co.id",
            "lazada.co.th", "lazada.com.my", "lazada.sg", "lazada.com.ph", "lazada.vn", "lazada.co.id",
        ].map { "domain:" + $0 }
    )
}
