import Foundation
import Testing

@testable import ConcordCore

@Suite("Content-Digest (RFC 9530)")
struct ContentDigestTests {
    /// RFC 9530 Appendix B: the JSON object `{"hello": "world"}` followed by a line feed.
    let body = Data("{\"hello\": \"world\"}\n".utf8)
    /// RFC 9530 Appendix B.1, sha-256 of `body`.
    let sha256 = "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    /// RFC 9530 section 2, sha-512 of `body`.
    let sha512 = "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"

    @Test("the sha-256 digest of the RFC 9530 example body is the RFC's value")
    func rfcExample() {
        #expect(ContentDigest.sha256(body) == sha256)
        #expect(ContentDigest.sha256([UInt8](body)) == sha256)
    }

    @Test("a digest verifies against its body, alone or listed with other algorithms")
    func verifiesDictionaries() {
        #expect(ContentDigest.verify(sha256, body: body))
        #expect(ContentDigest.verify(sha512 + ", " + sha256, body: body))
        #expect(ContentDigest.verify(sha256 + ",md5=:AAAA:", body: body))
    }

    @Test("a digest is refused for another body, without sha-256, with a wrong sha-512, or when malformed")
    func refusals() {
        let otherBody = Data("{\"hello\": \"world\"}".utf8)
        #expect(!ContentDigest.verify(sha256, body: otherBody))
        #expect(!ContentDigest.verify(sha512, body: body))
        // The sha-512 of the body without its line feed: right for `otherBody`, wrong for `body`.
        let otherSHA512 = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
        #expect(!ContentDigest.verify(otherSHA512, body: otherBody))  // a matching sha-512 alone is not enough
        #expect(!ContentDigest.verify(sha256 + ", " + otherSHA512, body: body))
        #expect(!ContentDigest.verify("sha-256=RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=", body: body))
        #expect(!ContentDigest.verify("", body: body))
        #expect(!ContentDigest.verify(sha256 + ",", body: body))
    }
}

@Suite("HTTP message signatures (RFC 9421)")
struct HTTPMessageSignatureTests {
    // RFC 9421 Appendix B.1.4, "test-key-ed25519" as a JWK: `d` is the 32-byte private seed, `x` the public key.
    static let rfcSeed = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
    static let rfcPublicKey = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"

    // RFC 9421 Appendix B.2.6: the components covered, the signature base, and the resulting header values.
    static var rfcComponents: [(component: HTTPSignatureComponent, value: String)] {
        [
            (component: "date", value: "Tue, 20 Apr 2021 02:07:55 GMT"),
            (component: "@method", value: "POST"),
            (component: "@path", value: "/foo"),
            (component: "@authority", value: "example.com"),
            (component: "content-type", value: "application/json"),
            (component: "content-length", value: "18"),
        ]
    }
    static let rfcBase = """
        "date": Tue, 20 Apr 2021 02:07:55 GMT
        "@method": POST
        "@path": /foo
        "@authority": example.com
        "content-type": application/json
        "content-length": 18
        "@signature-params": ("date" "@method" "@path" "@authority" \
        "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"
        """
    static let rfcSignatureInput = """
        sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")\
        ;created=1618884473;keyid="test-key-ed25519"
        """
    static let rfcSignatureValue = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
    static let rfcSignature = "sig-b26=:" + rfcSignatureValue + ":"

    /// A federation request as a peer would send it.
    struct Request {
        var method = "POST"
        var path = "/federation/v1/pull"
        var query: String? = "limit=100"
        var contentDigest: String? = ContentDigest.sha256(Data("{\"since\":\"42\"}".utf8))
    }

    let key: NodeKey
    let otherKey: NodeKey
    /// 2026-01-01T00:00:00Z.
    let created = Timestamp(milliseconds: 1_767_225_600_000)
    let nonce = "bm9uY2Utb25l"

    init() throws {
        key = try NodeKey(seed: Data(repeating: 7, count: 32))
        otherKey = try NodeKey(seed: Data(repeating: 9, count: 32))
    }

    func sign(_ request: Request) -> (signatureInput: String, signature: String) {
        HTTPMessageSignature.sign(
            method: request.method,
            path: request.path,
            query: request.query,
            contentDigest: request.contentDigest,
            keyID: key.nodeID,
            created: created,
            nonce: nonce,
            key: key
        )
    }

    func verify(
        _ request: Request,
        _ headers: (signatureInput: String, signature: String),
        now: Timestamp? = nil,
        maxSkew: Duration = .seconds(300)
    ) throws(HTTPSignatureError) -> VerifiedSignature {
        try HTTPMessageSignature.verify(
            method: request.method,
            path: request.path,
            query: request.query,
            contentDigest: request.contentDigest,
            signatureInput: headers.signatureInput,
            signature: headers.signature,
            publicKeyFor: { id in
                if id == key.nodeID { return key.publicKey }
                if id == otherKey.nodeID { return otherKey.publicKey }
                return nil
            },
            now: now ?? created,
            maxSkew: maxSkew
        )
    }

    // MARK: RFC 9421 test vector

    @Test("RFC 9421 B.2.6: the signature base, Signature-Input and Ed25519 signature match the RFC")
    func rfcEd25519Vector() throws {
        let seed = try #require(ByteText.fromBase64url(Self.rfcSeed))
        let rfcKey = try NodeKey(seed: seed)
        #expect(rfcKey.publicKey == ByteText.fromBase64url(Self.rfcPublicKey))

        let parameters = HTTPSignatureParameters(created: 1_618_884_473, keyID: "test-key-ed25519")
        let base = HTTPMessageSignature.signatureBase(components: Self.rfcComponents, parameters: parameters)
        #expect(base == Self.rfcBase)

        let signed = HTTPMessageSignature.sign(
            components: Self.rfcComponents,
            parameters: parameters,
            key: rfcKey,
            label: "sig-b26"
        )
        #expect(signed.signatureInput == Self.rfcSignatureInput)
        let rfcSignatureBytes = try #require(Data(base64Encoded: Self.rfcSignatureValue))
        #expect(NodeID.verify(signature: rfcSignatureBytes, message: Data(base.utf8), publicKey: rfcKey.publicKey))
        #if canImport(CryptoKit)
            // CryptoKit randomizes Ed25519 signatures, so only the verification can be compared there.
            let ours = try #require(Data(base64Encoded: String(signed.signature.dropFirst("sig-b26=:".count).dropLast())))
            #expect(NodeID.verify(signature: ours, message: Data(base.utf8), publicKey: rfcKey.publicKey))
        #else
            // BoringSSL's Ed25519 is deterministic (RFC 8032): the same key and base give the RFC's exact signature.
            #expect(signed.signature == Self.rfcSignature)
        #endif
    }

    @Test("the RFC's own Signature-Input and Signature headers parse and verify, among other labels")
    func rfcHeadersVerify() throws {
        let publicKey = try #require(ByteText.fromBase64url(Self.rfcPublicKey))
        let values = Self.rfcComponents
        let parameters = try HTTPMessageSignature.verifySignatureOnly(
            signatureInput: "other=(\"@method\");created=1, " + Self.rfcSignatureInput,
            signature: "other=:AAAA:, " + Self.rfcSignature,
            label: "sig-b26",
            value: { component in values.first { $0.component == component }?.value },
            publicKeyFor: { $0 == "test-key-ed25519" ? publicKey : nil }
        )
        #expect(parameters == HTTPSignatureParameters(created: 1_618_884_473, keyID: "test-key-ed25519"))

        // Concord's own policy insists on a nonce, which the RFC example lacks.
        #expect(throws: HTTPSignatureError.missingParameter("nonce")) {
            try HTTPMessageSignature.verify(
                method: "POST",
                path: "/foo",
                query: nil,
                contentDigest: nil,
                signatureInput: Self.rfcSignatureInput,
                signature: Self.rfcSignature,
                label: "sig-b26",
                publicKeyFor: { _ in publicKey },
                now: Timestamp(milliseconds: 1_618_884_473_000)
            )
        }
    }

    // MARK: Concord round trip

    @Test("a signed request verifies and yields the signer's node id, creation time and nonce")
    func roundTrip() throws {
        let headers = sign(Request())
        #expect(
            headers.signatureInput
                == "concord=(\"@method\" \"@path\" \"@query\" \"content-digest\");created=1767225600;keyid=\"\(key.nodeID)\""
                + ";alg=\"ed25519\";nonce=\"\(nonce)\""
        )
        #expect(headers.signature.hasPrefix("concord=:") && headers.signature.hasSuffix(":"))
        let verified = try verify(Request(), headers)
        #expect(verified.keyID == key.nodeID)
        #expect(verified.created == created)
        #expect(verified.nonce == nonce)
        #expect(verified.coveredComponents == [.method, .path, .query, .contentDigest])
    }

    @Test("a request without query or body covers only the method and path")
    func minimalRequest() throws {
        let request = Request(method: "GET", path: "/federation/v1/nudge", query: nil, contentDigest: nil)
        let headers = sign(request)
        #expect(headers.signatureInput.hasPrefix("concord=(\"@method\" \"@path\");created="))
        #expect(try verify(request, headers).coveredComponents == [.method, .path])
    }

    @Test("component values follow RFC 9421: @query keeps its ?, an empty path is /")
    func componentValues() {
        let request = HTTPSignatureComponents(method: "GET", path: "", query: "a=1&b=2", authority: "Peer.Example:8443")
        #expect(request.value(of: .query) == "?a=1&b=2")
        #expect(request.value(of: .path) == "/")
        #expect(request.value(of: .authority) == "peer.example:8443")
        #expect(request.value(of: "content-type") == nil)
    }

    @Test("extra spaces in a valid Signature-Input do not break verification")
    func canonicalisedSignatureParams() throws {
        let headers = sign(Request())
        let spaced = headers.signatureInput.replacingOccurrences(of: "=(\"@method\" \"@path\"", with: "=( \"@method\"  \"@path\"")
        #expect(spaced != headers.signatureInput)
        let verified = try verify(Request(), (signatureInput: "  " + spaced, signature: headers.signature))
        #expect(verified.keyID == key.nodeID)
    }

    // MARK: Tampering

    @Test("a changed method, path, query or body digest is refused as a bad signature")
    func tamperedComponents() {
        let headers = sign(Request())
        var method = Request()
        method.method = "PUT"
        #expect(throws: HTTPSignatureError.badSignature) { try verify(method, headers) }
        var path = Request()
        path.path = "/federation/v1/records"
        #expect(throws: HTTPSignatureError.badSignature) { try verify(path, headers) }
        var query = Request()
        query.query = "limit=100000"
        #expect(throws: HTTPSignatureError.badSignature) { try verify(query, headers) }
        var noQuery = Request()
        noQuery.query = nil
        #expect(throws: HTTPSignatureError.badSignature) { try verify(noQuery, headers) }
        var body = Request()
        body.contentDigest = ContentDigest.sha256(Data("{\"since\":\"0\"}".utf8))
        #expect(throws: HTTPSignatureError.badSignature) { try verify(body, headers) }
    }

    @Test("a query or body added after signing is refused as not covered; a removed body as unavailable")
    func uncoveredComponents() {
        let bare = Request(query: nil, contentDigest: nil)
        let headers = sign(bare)
        var withQuery = bare
        withQuery.query = "limit=100"
        #expect(throws: HTTPSignatureError.componentNotCovered("@query")) { try verify(withQuery, headers) }
        var withBody = bare
        withBody.contentDigest = ContentDigest.sha256(Data("{}".utf8))
        #expect(throws: HTTPSignatureError.componentNotCovered("content-digest")) { try verify(withBody, headers) }

        let signedWithBody = sign(Request())
        var bodyRemoved = Request()
        bodyRemoved.contentDigest = nil
        #expect(throws: HTTPSignatureError.componentUnavailable("content-digest")) {
            try verify(bodyRemoved, signedWithBody)
        }
    }

    @Test("changed created, keyid, alg or signature bytes are refused with the matching error")
    func tamperedParameters() throws {
        let headers = sign(Request())
        let input = headers.signatureInput

        let laterCreated = input.replacingOccurrences(of: "created=1767225600", with: "created=1767225601")
        #expect(laterCreated != input)
        #expect(throws: HTTPSignatureError.badSignature) {
            try verify(Request(), (signatureInput: laterCreated, signature: headers.signature))
        }

        let stranger = try NodeKey(seed: Data(repeating: 3, count: 32)).nodeID
        let unknownKeyID = input.replacingOccurrences(of: key.nodeID, with: stranger)
        #expect(throws: HTTPSignatureError.unknownKey(stranger)) {
            try verify(Request(), (signatureInput: unknownKeyID, signature: headers.signature))
        }
        let otherKeyID = input.replacingOccurrences(of: key.nodeID, with: otherKey.nodeID)
        #expect(throws: HTTPSignatureError.badSignature) {
            try verify(Request(), (signatureInput: otherKeyID, signature: headers.signature))
        }

        let rsa = input.replacingOccurrences(of: "alg=\"ed25519\"", with: "alg=\"rsa-pss-sha512\"")
        #expect(throws: HTTPSignatureError.wrongAlgorithm("rsa-pss-sha512")) {
            try verify(Request(), (signatureInput: rsa, signature: headers.signature))
        }

        var bytes = try #require(Data(base64Encoded: String(headers.signature.dropFirst("concord=:".count).dropLast())))
        bytes[bytes.startIndex] ^= 1
        let flipped = "concord=:" + bytes.base64EncodedString() + ":"
        #expect(throws: HTTPSignatureError.badSignature) {
            try verify(Request(), (signatureInput: input, signature: flipped))
        }
    }

    @Test("missing or malformed headers and missing parameters are named")
    func malformedHeaders() {
        let headers = sign(Request())
        #expect(throws: HTTPSignatureError.missingHeader("Signature-Input")) {
            try HTTPMessageSignature.verify(
                method: "POST",
                path: "/federation/v1/pull",
                query: "limit=100",
                contentDigest: nil,
                signatureInput: nil,
                signature: headers.signature,
                publicKeyFor: { _ in nil },
                now: created
            )
        }
        #expect(throws: HTTPSignatureError.missingHeader("Signature")) {
            try verify(Request(), (signatureInput: headers.signatureInput, signature: " "))
        }
        let relabelled = "peer" + String(headers.signatureInput.dropFirst("concord".count))
        #expect(throws: HTTPSignatureError.missingLabel(field: "Signature-Input", label: "concord")) {
            try verify(Request(), (signatureInput: relabelled, signature: headers.signature))
        }
        #expect(throws: HTTPSignatureError.self) {
            try verify(Request(), (signatureInput: "concord=(\"@method\"", signature: headers.signature))
        }
        #expect(throws: HTTPSignatureError.malformedField(field: "Signature", reason: "the signature must be a byte sequence")) {
            try verify(Request(), (signatureInput: headers.signatureInput, signature: "concord=\"abc\""))
        }
        let noNonce = headers.signatureInput.replacingOccurrences(of: ";nonce=\"\(nonce)\"", with: "")
        #expect(throws: HTTPSignatureError.missingParameter("nonce")) {
            try verify(Request(), (signatureInput: noNonce, signature: headers.signature))
        }
        let twice = headers.signatureInput.replacingOccurrences(of: "(\"@method\"", with: "(\"@method\" \"@method\"")
        #expect(throws: HTTPSignatureError.malformedField(field: "Signature-Input", reason: "@method is covered twice")) {
            try verify(Request(), (signatureInput: twice, signature: headers.signature))
        }
    }

    // MARK: Clock skew

    @Test("created more than the allowed skew in the past or future is refused; within it is accepted")
    func clockSkew() throws {
        let headers = sign(Request())
        func at(_ offsetSeconds: Int64) -> Timestamp {
            Timestamp(milliseconds: created.milliseconds + offsetSeconds * 1000)
        }
        #expect(throws: HTTPSignatureError.createdTooOld(ageSeconds: 301, maxSkewSeconds: 300)) {
            try verify(Request(), headers, now: at(301))
        }
        #expect(throws: HTTPSignatureError.createdInFuture(aheadSeconds: 301, maxSkewSeconds: 300)) {
            try verify(Request(), headers, now: at(-301))
        }
        #expect(try verify(Request(), headers, now: at(300)).nonce == nonce)
        #expect(try verify(Request(), headers, now: at(-299)).nonce == nonce)
        #expect(throws: HTTPSignatureError.createdTooOld(ageSeconds: 31, maxSkewSeconds: 30)) {
            try verify(Request(), headers, now: at(31), maxSkew: .seconds(30))
        }
    }

    @Test("errors read as sentences a peer operator understands")
    func errorDescriptions() {
        #expect(
            HTTPSignatureError.createdTooOld(ageSeconds: 301, maxSkewSeconds: 300).description
                == "the signature was created 301 s ago; at most 300 s are allowed"
        )
        #expect(
            HTTPSignatureError.componentNotCovered("content-digest").description
                == "the signature does not cover content-digest, which this request has"
        )
    }
}

@Suite("Structured field limits")
struct StructuredFieldLimitTests {
    @Test("a header of thousands of parameters or members is refused at once, before any signature work")
    func caps() {
        let started = ContinuousClock.now
        let parameters = "sig1=(\"@method\")" + (0..<5000).map { ";k\($0)=1" }.joined()
        #expect(throws: StructuredField.ParseError.self) { try StructuredField.parseDictionary(parameters) }
        let shortParameters = "sig1=(\"@method\")" + (0..<65).map { ";k\($0)=1" }.joined()
        #expect(throws: StructuredField.ParseError.self) { try StructuredField.parseDictionary(shortParameters) }
        let members = (0..<65).map { "m\($0)=1" }.joined(separator: ",")
        #expect(throws: StructuredField.ParseError.self) { try StructuredField.parseDictionary(members) }
        let items = "sig1=(" + (0..<65).map { "\"c\($0)\"" }.joined(separator: " ") + ")"
        #expect(throws: StructuredField.ParseError.self) { try StructuredField.parseDictionary(items) }
        #expect(throws: StructuredField.ParseError.self) {
            try StructuredField.parseDictionary("a=\"" + String(repeating: "x", count: 9000) + "\"")
        }
        // A real signature's fields are far inside the limits.
        let (input, signature) = HTTPMessageSignature.sign(
            method: "GET",
            path: "/federation/v1/records",
            query: "after=0&limit=1000",
            contentDigest: nil,
            keyID: NodeKey().nodeID,
            created: .now(),
            nonce: HTTPMessageSignature.makeNonce(),
            key: NodeKey(),
            tag: "x"
        )
        #expect(throws: Never.self) { try StructuredField.parseDictionary(input) }
        #expect(throws: Never.self) { try StructuredField.parseDictionary(signature) }
        #expect(ContinuousClock.now - started < .seconds(1))
    }
}
