import ConcordCore
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The HTML side of the node: Mustache templates from the bundle, a shared layout, and the headers every page
/// carries (no caching, no framing, no scripts from anywhere).
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer

    static func load() async throws -> PageRenderer {
        guard let folder = Bundle.module.url(forResource: "pages", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        let library = try await MustacheLibrary(directory: folder.path)
        let css = try Data(contentsOf: folder.appendingPathComponent("concord.css"))
        return PageRenderer(library: library, stylesheet: ByteBuffer(bytes: css))
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    /// A page from `template`, inside the layout, for `session` (nil on the sign-in page).
    func page(
        _ template: String,
        title: String,
        node: RunningNode,
        session: UserSession?,
        status: HTTPResponse.Status = .ok,
        nav: String? = nil,
        values: [String: Any] = [:],
        headers extra: HTTPFields = [:]
    ) -> Response {
        var context = Self.present(values)
        context["title"] = title
        context["organisation"] = node.profile.organisation
        context["nodeJurisdiction"] = node.profile.jurisdiction
        context["nodeShort"] = String(node.key.nodeID.prefix(16))
        if let session {
            context["user"] = true
            context["username"] = session.user.username
            context["role"] = session.user.role.rawValue
            context["analyst"] = session.user.role >= .analyst
            context["admin"] = session.user.role >= .admin
            context["csrf"] = session.csrf
        }
        if let nav { context["nav" + nav] = true }
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Page missing."
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The public page (its own layout, no session, no node details beyond the organisation's name).
    func publicPage(status: HTTPResponse.Status, values: [String: Any]) -> Response {
        let html =
            library.render(Self.present(values), withTemplate: "public") ?? "<!doctype html><title>Error</title><p>Page missing."
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// `values` without absent optionals, at any depth: Mustache would print an absent value as "nil" where an
    /// inverted section or nothing at all is meant.
    static func present(_ values: [String: Any]) -> [String: Any] {
        values.compactMapValues(presentValue)
    }

    private static func presentValue(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return presentValue(wrapped)
        }
        switch value {
        case let dictionary as [String: Any]: return present(dictionary)
        case let list as [[String: Any]]: return list.map(present)
        case let list as [Any]: return list.compactMap(presentValue)
        default: return value
        }
    }

    /// A 303 to `location`, optionally setting a cookie.
    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }
}
