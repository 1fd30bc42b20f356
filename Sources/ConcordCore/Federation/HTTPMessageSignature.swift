import Crypto
public import Foundation

/// A part of an HTTP message that a signature can cover (RFC 9421 section 2), named as it appears in
/// `Signature-Input`: a derived component such as `@method`, or a lower-case header field name.
public struct HTTPSignatureComponent: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The component name, e.g. `@path` or `content-digest`.
    public let name: String

    /// A component named `name` (lower-case for header fields).
    public init(_ name: String) { self.name = name }

    /// A component named by a string literal.
    public init(stringLiteral value: String) { self.name = value }

    /// The component name.
    public var description: String { name }

    /// Whether this is a derived component (`@method`, `@path`, ...) rather than a header field.
    public var isDerived: Bool { name.utf8.first == UInt8(ascii: "@") }

    /// The request method, e.g. `POST`.
    public static let method: HTTPSignatureComponent = "@method"
    /// The absolute path of the target URI, without the query.
    public static let path: HTTPSignatureComponent = "@path"
    /// The query of the target URI with its leading `?`.
    public static let query: HTTPSignatureComponent = "@query"
    /// The authority (host and port) of the target URI, lower-case.
    public static let authority: HTTPSignatureComponent = "@authority"
    /// The `Content-Digest` header (RFC 9530), which binds the body to the signature.
    public static let contentDigest: HTTPSignatureComponent = "content-digest"
}

/// The parts of a request that a Concord signature can cover, and their RFC 9421 component values.
public struct HTTPSignatureComponents: Sendable, Hashable {
    /// The request method, as sent (methods are case-sensitive).
    public var method: String
    /// The absolute path, without the query; an empty path counts as `/`.
    public var path: String
    /// The query string without its leading `?`; nil or empty when the request has none.
    public var query: String?
    /// The authority (host and optional port), when the caller wants it covered.
    public var authority: String?
    /// The `Content-Digest` header value; present whenever the request has a body.
    public var contentDigest: String?

    /// The parts of one request.
    public init(method: String, path: String, query: String? = nil, authority: String? = nil, contentDigest: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.authority = authority
        self.contentDigest = contentDigest
    }

    /// Whether the request has `component`: method and path always; the query when non-empty; the others when set.
    public func has(_ component: HTTPSignatureComponent) -> Bool {
        switch component {
        case .method, .path: return true
        case .query: return !(query ?? "").isEmpty
        case .authority: return authority != nil
        case .contentDigest: return contentDigest != nil
        default: return false
        }
    }

    /// The value of `component` in a signature base (RFC 9421 section 2.2), or nil when the request lacks it or
    /// it is not one of the components Concord derives.
    public func value(of component: HTTPSignatureComponent) -> String? {
        switch component {
        case .method: return method
        case .path: return path.isEmpty ? "/" : path
        case .query: return "?" + (query ?? "")
        case .authority: return authority?.lowercased()
        case .contentDigest: return contentDigest
        default: return nil
        }
    }
}

/// The metadata of a signature (RFC 9421 section 2.3), serialized in this order when present:
/// `created`, `expires`, `keyid`, `alg`, `nonce`, `tag`.
public struct HTTPSignatureParameters: Sendable, Hashable {
    /// When the signature was made, in whole seconds since 1970.
    public var created: Int64?
    /// When the signature stops being valid, in whole seconds since 1970.
    public var expires: Int64?
    /// The signer's key id (a node id in Concord).
    public var keyID: String?
    /// The algorithm, e.g. `ed25519`.
    public var algorithm: String?
    /// A random value that lets the verifier refuse a replayed request.
    public var nonce: String?
    /// An application-specific tag.
    public var tag: String?

    /// Parameters with the given values; nil ones are left out of the serialization.
    public init(
        created: Int64? = nil,
        expires: Int64? = nil,
        keyID: String? = nil,
        algorithm: String? = nil,
        nonce: String? = nil,
        tag: String? = nil
    ) {
        self.created = created
        self.expires = expires
        self.keyID = keyID
        self.algorithm = algorithm
        self.nonce = nonce
        self.tag = tag
    }

    /// The structured-field parameters, in serialization order.
    var structuredParameters: [StructuredField.Parameter] {
        var out: [StructuredField.Parameter] = []
        if let created { out.append(.init(key: "created", value: .integer(created))) }
        if let expires { out.append(.init(key: "expires", value: .integer(expires))) }
        if let keyID { out.append(.init(key: "keyid", value: .string(keyID))) }
        if let algorithm { out.append(.init(key: "alg", value: .string(algorithm))) }
        if let nonce { out.append(.init(key: "nonce", value: .string(nonce))) }
        if let tag { out.append(.init(key: "tag", value: .string(tag))) }
        return out
    }

    /// Reads the parameters this type knows from a parsed `Signature-Input` member; others are ignored.
    init(parsing parameters: [StructuredField.Parameter]) throws(HTTPSignatureError) {
        func integer(_ key: String) throws(HTTPSignatureError) -> Int64? {
            guard let parameter = parameters.first(key: key) else { return nil }
            guard case .integer(let number) = parameter.value else {
                throw .malformedField(field: HTTPMessageSignature.signatureInputField, reason: "\(key) must be an integer")
            }
            return number
        }
        func string(_ key: String) throws(HTTPSignatureError) -> String? {
            guard let parameter = parameters.first(key: key) else { return nil }
            guard case .string(let text) = parameter.value else {
                throw .malformedField(field: HTTPMessageSignature.signatureInputField, reason: "\(key) must be a quoted string")
            }
            return text
        }
        self.init(
            created: try integer("created"),
            expires: try integer("expires"),
            keyID: try string("keyid"),
            algorithm: try string("alg"),
            nonce: try string("nonce"),
            tag: try string("tag")
        )
    }
}

/// What a successful verification established about a signed request.
public struct VerifiedSignature: Sendable, Hashable {
    /// The key id the request was signed with (the peer's node id).
    public let keyID: String
    /// When the signer says it signed (whole seconds).
    public let created: Timestamp
    /// The signer's nonce; the caller refuses a nonce it has already seen within the skew window.
    public let nonce: String
    /// The label the signature was found under.
    public let label: String
    /// The components the signature covers, in order.
    public let coveredComponents: [HTTPSignatureComponent]
    /// The signed `tag` parameter: in Concord, the node id the request is meant for.
    public var tag: String? = nil
}

/// Why a signed request was refused.
public enum HTTPSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request lacks a header that signing needs (`Signature-Input` or `Signature`).
    case missingHeader(String)
    /// The header has no signature under the expected label.
    case missingLabel(field: String, label: String)
    /// The header is not a valid structured field, or part of it has the wrong shape.
    case malformedField(field: String, reason: String)
    /// The signature lacks a parameter Concord requires (`created`, `keyid` or `nonce`).
    case missingParameter(String)
    /// The key id names no key this node knows.
    case unknownKey(String)
    /// The `alg` parameter names an algorithm other than `ed25519`.
    case wrongAlgorithm(String)
    /// The request has a component that the signature does not cover.
    case componentNotCovered(String)
    /// The signature covers a component that the request lacks or that Concord does not derive.
    case componentUnavailable(String)
    /// `created` is further in the past than the allowed clock skew.
    case createdTooOld(ageSeconds: Int64, maxSkewSeconds: Int64)
    /// `created` is further in the future than the allowed clock skew.
    case createdInFuture(aheadSeconds: Int64, maxSkewSeconds: Int64)
    /// The signature's `expires` time has passed.
    case expired
    /// The signature does not verify against the signer's key: the request was altered or signed by another key.
    case badSignature

    /// A sentence saying why the request was refused, fit for a log line or a problem detail.
    public var description: String {
        switch self {
        case .missingHeader(let field):
            return "the request has no \(field) header"
        case .missingLabel(let field, let label):
            return "the \(field) header has no signature labelled \"\(label)\""
        case .malformedField(let field, let reason):
            return "the \(field) header is malformed: \(reason)"
        case .missingParameter(let name):
            return "the signature has no \(name) parameter"
        case .unknownKey(let keyID):
            return "the signature's key id \"\(keyID)\" is not a known peer"
        case .wrongAlgorithm(let algorithm):
            return "the signature uses \"\(algorithm)\"; Concord accepts only ed25519"
        case .componentNotCovered(let name):
            return "the signature does not cover \(name), which this request has"
        case .componentUnavailable(let name):
            return "the signature covers \(name), which this request does not have or Concord does not check"
        case .createdTooOld(let age, let limit):
            return "the signature was created \(age) s ago; at most \(limit) s are allowed"
        case .createdInFuture(let ahead, let limit):
            return "the signature was created \(ahead) s in the future; at most \(limit) s of clock skew are allowed"
        case .expired:
            return "the signature has expired"
        case .badSignature:
            return "the signature does not match the request and the signer's key"
        }
    }
}

/// HTTP Message Signatures (RFC 9421) with Ed25519 node keys, as peers sign every federation request.
///
/// Concord covers `("@method" "@path" "@query" "content-digest")`, leaving out `@query` when the request has no
/// query and `content-digest` when it has no body, with parameters `created`, `keyid` (the node id), `alg="ed25519"`
/// and `nonce`. A verifier requires every listed component the request it received has.
public enum HTTPMessageSignature {
    /// The components a Concord signature covers, in signing order. Each is covered when the request has it, and a
    /// verifier requires each one the received request has.
    public static let coveredComponents: [HTTPSignatureComponent] = [.method, .path, .query, .contentDigest]
    /// The `alg` parameter value for Ed25519.
    public static let algorithm = "ed25519"
    /// The label Concord signs under.
    public static let defaultLabel = "concord"
    /// The clock skew allowed by default between signer and verifier.
    public static let defaultMaxSkew: Duration = .seconds(300)

    static let signatureInputField = "Signature-Input"
    static let signatureField = "Signature"

    /// A fresh random nonce: 128 bits in base64url.
    public static func makeNonce() -> String {
        ByteText.base64url(SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) })
    }

    // MARK: Signing

    /// Signs a request the Concord way.
    /// - Parameters:
    ///   - method: The request method, as sent.
    ///   - path: The absolute path without the query.
    ///   - query: The query without its leading `?`, or nil.
    ///   - contentDigest: The `Content-Digest` header value when the request has a body (see `ContentDigest.sha256`).
    ///   - keyID: The signer's node id.
    ///   - created: The signing time (whole seconds are kept).
    ///   - nonce: A fresh random value (see `makeNonce()`).
    ///   - key: The node key.
    ///   - label: The label to sign under (a structured-field key: lower-case letters, digits, `_-.*`).
    /// - Returns: The `Signature-Input` and `Signature` header values.
    public static func sign(
        method: String,
        path: String,
        query: String?,
        contentDigest: String?,
        keyID: String,
        created: Timestamp,
        nonce: String,
        key: NodeKey,
        label: String = defaultLabel,
        tag: String? = nil
    ) -> (signatureInput: String, signature: String) {
        sign(
            HTTPSignatureComponents(method: method, path: path, query: query, contentDigest: contentDigest),
            keyID: keyID,
            created: created,
            nonce: nonce,
            key: key,
            label: label,
            tag: tag
        )
    }

    /// Signs `request`, covering each of `coveredComponents` that it has.
    public static func sign(
        _ request: HTTPSignatureComponents,
        keyID: String,
        created: Timestamp,
        nonce: String,
        key: NodeKey,
        label: String = defaultLabel,
        tag: String? = nil
    ) -> (signatureInput: String, signature: String) {
        var lines: [(component: HTTPSignatureComponent, value: String)] = []
        for component in coveredComponents where request.has(component) {
            if let value = request.value(of: component) { lines.append((component: component, value: value)) }
        }
        let parameters = HTTPSignatureParameters(
            created: created.seconds,
            keyID: keyID,
            algorithm: algorithm,
            nonce: nonce,
            tag: tag
        )
        return sign(components: lines, parameters: parameters, key: key, label: label)
    }

    /// Signs arbitrary components with their values, in the given order.
    /// - Returns: The `Signature-Input` and `Signature` header values under `label`.
    public static func sign(
        components: [(component: HTTPSignatureComponent, value: String)],
        parameters: HTTPSignatureParameters,
        key: NodeKey,
        label: String
    ) -> (signatureInput: String, signature: String) {
        let params = signatureParams(covering: components.map { $0.component }, parameters: parameters)
        let base = signatureBase(lines: components, signatureParams: params)
        let signatureItem = StructuredField.Item(value: .bytes(key.sign(Data(base.utf8))))
        return (label + "=" + params, label + "=" + StructuredField.serialize(signatureItem))
    }

    // MARK: Signature base

    /// The `@signature-params` value: the covered components as an inner list of strings, then the parameters.
    public static func signatureParams(
        covering components: [HTTPSignatureComponent],
        parameters: HTTPSignatureParameters
    ) -> String {
        let items = components.map { StructuredField.Item(value: .string($0.name)) }
        return StructuredField.serialize(innerList: items, parameters: parameters.structuredParameters)
    }

    /// The signature base of RFC 9421 section 2.5: one `"<name>": <value>` line per component, then the
    /// `"@signature-params"` line, with no newline at the end. Header field values are trimmed of spaces and tabs.
    public static func signatureBase(
        components: [(component: HTTPSignatureComponent, value: String)],
        parameters: HTTPSignatureParameters
    ) -> String {
        let params = signatureParams(covering: components.map { $0.component }, parameters: parameters)
        return signatureBase(lines: components, signatureParams: params)
    }

    static func signatureBase(
        lines: [(component: HTTPSignatureComponent, value: String)],
        signatureParams: String
    ) -> String {
        var base = ""
        for line in lines {
            base += StructuredField.serialize(StructuredField.Item(value: .string(line.component.name)))
            base += ": "
            base += line.component.isDerived ? line.value : trimmingSpacesAndTabs(line.value)
            base += "\n"
        }
        base += "\"@signature-params\": "
        base += signatureParams
        return base
    }

    private static func trimmingSpacesAndTabs(_ text: String) -> String {
        let utf8 = text.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = utf8.first, let last = utf8.last, isBlank(first) || isBlank(last) else { return text }
        guard let start = utf8.firstIndex(where: { !isBlank($0) }), let end = utf8.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(decoding: utf8[start...end], as: UTF8.self)
    }

    // MARK: Verification

    /// Verifies a request signed the Concord way.
    /// - Parameters:
    ///   - method: The request method, as received.
    ///   - path: The absolute path without the query.
    ///   - query: The query without its leading `?`, or nil.
    ///   - contentDigest: The `Content-Digest` header, when present; the caller checks it against the body with
    ///     `ContentDigest.verify` (a request with a body must carry one).
    ///   - signatureInput: The `Signature-Input` header, nil when absent.
    ///   - signature: The `Signature` header, nil when absent.
    ///   - label: The label to verify; other labels are ignored.
    ///   - publicKeyFor: The 32-byte Ed25519 public key registered for a key id, or nil when unknown.
    ///   - now: The current time.
    ///   - maxSkew: How far `created` may lie from `now`, either way.
    /// - Returns: The key id, creation time and nonce (the caller refuses a nonce it has seen within the window).
    /// - Throws: `HTTPSignatureError` saying why the request is refused.
    public static func verify(
        method: String,
        path: String,
        query: String?,
        contentDigest: String?,
        signatureInput: String?,
        signature: String?,
        label: String = defaultLabel,
        publicKeyFor: (String) -> Data?,
        now: Timestamp,
        maxSkew: Duration = defaultMaxSkew
    ) throws(HTTPSignatureError) -> VerifiedSignature {
        try verify(
            HTTPSignatureComponents(method: method, path: path, query: query, contentDigest: contentDigest),
            signatureInput: signatureInput,
            signature: signature,
            label: label,
            publicKeyFor: publicKeyFor,
            now: now,
            maxSkew: maxSkew
        )
    }

    /// Verifies `request` the Concord way; see `verify(method:path:query:contentDigest:signatureInput:signature:...)`.
    public static func verify(
        _ request: HTTPSignatureComponents,
        signatureInput: String?,
        signature: String?,
        label: String = defaultLabel,
        publicKeyFor: (String) -> Data?,
        now: Timestamp,
        maxSkew: Duration = defaultMaxSkew
    ) throws(HTTPSignatureError) -> VerifiedSignature {
        let parsed = try ParsedSignature(signatureInput: signatureInput, signature: signature, label: label)
        let parameters = parsed.parameters
        guard let keyID = parameters.keyID else { throw .missingParameter("keyid") }
        guard let created = parameters.created else { throw .missingParameter("created") }
        guard let nonce = parameters.nonce, !nonce.isEmpty else { throw .missingParameter("nonce") }
        if let named = parameters.algorithm, named != algorithm { throw .wrongAlgorithm(named) }
        for component in coveredComponents where request.has(component) && !parsed.components.contains(component) {
            throw .componentNotCovered(component.name)
        }
        try checkTimes(created: created, expires: parameters.expires, now: now, maxSkew: maxSkew)
        let lines = try parsed.lines { request.value(of: $0) }
        guard let publicKey = publicKeyFor(keyID) else { throw .unknownKey(keyID) }
        guard parsed.verifies(lines: lines, publicKey: publicKey) else { throw .badSignature }
        return VerifiedSignature(
            keyID: keyID,
            created: Timestamp(milliseconds: created * 1000),
            nonce: nonce,
            label: label,
            coveredComponents: parsed.components,
            tag: parameters.tag
        )
    }

    /// Checks only the cryptography of the signature under `label` over whatever components it covers, each valued by
    /// `value`: no required components, parameters or times. Concord's `verify` adds those checks.
    static func verifySignatureOnly(
        signatureInput: String?,
        signature: String?,
        label: String,
        value: (HTTPSignatureComponent) -> String?,
        publicKeyFor: (String) -> Data?
    ) throws(HTTPSignatureError) -> HTTPSignatureParameters {
        let parsed = try ParsedSignature(signatureInput: signatureInput, signature: signature, label: label)
        guard let keyID = parsed.parameters.keyID else { throw .missingParameter("keyid") }
        let lines = try parsed.lines(value)
        guard let publicKey = publicKeyFor(keyID) else { throw .unknownKey(keyID) }
        guard parsed.verifies(lines: lines, publicKey: publicKey) else { throw .badSignature }
        return parsed.parameters
    }

    private static func checkTimes(
        created: Int64,
        expires: Int64?,
        now: Timestamp,
        maxSkew: Duration
    ) throws(HTTPSignatureError) {
        let skew = milliseconds(of: maxSkew)
        let skewSeconds = skew / 1000
        // Structured-field integers have at most 15 digits, so these products cannot overflow.
        let createdMilliseconds = created * 1000
        if createdMilliseconds - now.milliseconds > skew {
            throw .createdInFuture(
                aheadSeconds: (createdMilliseconds - now.milliseconds) / 1000,
                maxSkewSeconds: skewSeconds
            )
        }
        if now.milliseconds - createdMilliseconds > skew {
            throw .createdTooOld(ageSeconds: (now.milliseconds - createdMilliseconds) / 1000, maxSkewSeconds: skewSeconds)
        }
        if let expires, now.milliseconds - expires * 1000 > skew { throw .expired }
    }

    private static func milliseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow || carry ? .max : total
    }
}

/// The signature under one label, read from the `Signature-Input` and `Signature` headers.
struct ParsedSignature {
    /// The covered components, in order.
    let components: [HTTPSignatureComponent]
    /// The `@signature-params` value: the member re-serialized, as RFC 9421 section 2.3 defines it.
    let signatureParams: String
    /// The parameters Concord reads.
    let parameters: HTTPSignatureParameters
    /// The signature bytes.
    let signature: Data

    init(signatureInput: String?, signature: String?, label: String) throws(HTTPSignatureError) {
        let inputField = HTTPMessageSignature.signatureInputField
        let signatureField = HTTPMessageSignature.signatureField
        let inputEntries = try Self.dictionary(signatureInput, field: inputField)
        let signatureEntries = try Self.dictionary(signature, field: signatureField)

        guard let input = inputEntries.first(key: label) else { throw .missingLabel(field: inputField, label: label) }
        guard case .innerList(let items, let listParameters) = input.member else {
            throw .malformedField(field: inputField, reason: "the member \"\(label)\" is not a list of components")
        }
        var components: [HTTPSignatureComponent] = []
        for item in items {
            guard case .string(let name) = item.value else {
                throw .malformedField(field: inputField, reason: "covered components must be quoted strings")
            }
            guard !name.isEmpty, !name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
                throw .malformedField(field: inputField, reason: "component names must be lower-case and not empty")
            }
            guard name != "@signature-params" else {
                throw .malformedField(field: inputField, reason: "@signature-params cannot be a covered component")
            }
            // Component parameters (sf, key, bs, req, tr, name) change how a value is derived; Concord uses none.
            guard item.parameters.isEmpty else { throw .componentUnavailable(StructuredField.serialize(item)) }
            let component = HTTPSignatureComponent(name)
            guard !components.contains(component) else {
                throw .malformedField(field: inputField, reason: "\(name) is covered twice")
            }
            components.append(component)
        }

        guard let signed = signatureEntries.first(key: label) else {
            throw .missingLabel(field: signatureField, label: label)
        }
        guard case .item(let signatureItem) = signed.member, case .bytes(let bytes) = signatureItem.value else {
            throw .malformedField(field: signatureField, reason: "the signature must be a byte sequence")
        }

        self.components = components
        self.signatureParams = StructuredField.serialize(innerList: items, parameters: listParameters)
        self.parameters = try HTTPSignatureParameters(parsing: listParameters)
        self.signature = bytes
    }

    /// The covered components with their values, or `componentUnavailable` for the first one `value` cannot give.
    func lines(
        _ value: (HTTPSignatureComponent) -> String?
    ) throws(HTTPSignatureError) -> [(component: HTTPSignatureComponent, value: String)] {
        var lines: [(component: HTTPSignatureComponent, value: String)] = []
        for component in components {
            guard let text = value(component) else { throw .componentUnavailable(component.name) }
            // A line break in a value would let one request's base pass for another's.
            guard !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
                throw .componentUnavailable(component.name)
            }
            lines.append((component: component, value: text))
        }
        return lines
    }

    /// Whether the signature verifies over the base built from `lines` with `publicKey`.
    func verifies(lines: [(component: HTTPSignatureComponent, value: String)], publicKey: Data) -> Bool {
        let base = HTTPMessageSignature.signatureBase(lines: lines, signatureParams: signatureParams)
        return NodeID.verify(signature: signature, message: Data(base.utf8), publicKey: publicKey)
    }

    private static func dictionary(_ text: String?, field: String) throws(HTTPSignatureError) -> [StructuredField.Entry] {
        guard let text, text.utf8.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else {
            throw .missingHeader(field)
        }
        do throws(StructuredField.ParseError) {
            return try StructuredField.parseDictionary(text)
        } catch {
            throw .malformedField(field: field, reason: error.reason)
        }
    }
}
