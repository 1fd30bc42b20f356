public import ConcordCore
public import ConcordStore
import Foundation
public import ServiceLifecycle
import Synchronization

/// Checks that a federation request comes from a live peer: its RFC 9421 signature verifies with the key it
/// carries, that key hashes to the signer's node id, the id is a peer, the time is within the skew bound, the
/// nonce was not seen before, and the body matches its digest.
///
/// As a service it writes the nonces it accepted to the store a quarter of a second after the first of a batch,
/// and once more when the node stops.
public final class RequestVerifier: Service, Sendable {
    let peers: any PeerStore
    /// This node's id: a request must be signed for it.
    let nodeID: String
    /// The largest clock difference tolerated between nodes.
    public let maxSkew: Duration
    private let seenNonces = Mutex([String: Int64]())
    /// Nonces accepted but not yet written to the store, flushed together a moment later.
    private let unwritten = Mutex([(nonce: String, created: Timestamp)]())
    private let flushes: AsyncStream<Void>
    private let flushRequests: AsyncStream<Void>.Continuation

    /// Creates a verifier over the node's peer registry.
    public init(peers: any PeerStore, nodeID: String, maxSkew: Duration = .seconds(300)) {
        self.peers = peers
        self.nodeID = nodeID
        self.maxSkew = maxSkew
        (flushes, flushRequests) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Writes accepted nonces in batches until the node shuts down, then writes what is left.
    public func run() async throws {
        for await _ in flushes.cancelOnGracefulShutdown() {
            // One transaction a quarter of a second for all the nonces accepted meanwhile.
            try? await Task.sleep(for: .milliseconds(250))
            await flush()
        }
        await flush()
    }

    /// Why a federation request was refused, as the HTTP layer reports it.
    public enum Refusal: Error, Sendable, Equatable {
        /// 401: not signed, or the signature does not hold.
        case unauthenticated(String)
        /// 403: signed by a node that is not (or no longer) a peer.
        case notAPeer(String)
    }

    /// Verifies a request.
    /// - Returns: the peer that sent it.
    public func verify(
        method: String,
        path: String,
        query: String?,
        body: [UInt8],
        headers: (String) -> String?
    ) async throws(Refusal) -> Peer {
        guard let keyText = headers(PeerClientHeader.publicKey), let publicKey = ByteText.fromBase64url(keyText),
            publicKey.count == 32
        else { throw .unauthenticated("the request carries no \(PeerClientHeader.publicKey) header with a 32-byte key") }
        var digest: String?
        if !body.isEmpty {
            guard let header = headers("Content-Digest"), ContentDigest.verify(header, body: body) else {
                throw .unauthenticated("the body does not match its Content-Digest")
            }
            digest = header
        }
        let verified: VerifiedSignature
        do {
            verified = try HTTPMessageSignature.verify(
                method: method,
                path: path,
                query: query,
                contentDigest: digest,
                signatureInput: headers("Signature-Input"),
                signature: headers("Signature"),
                publicKeyFor: { id in NodeID.derive(publicKey: publicKey) == id ? publicKey : nil },
                now: .now(),
                maxSkew: maxSkew
            )
        } catch {
            throw .unauthenticated(error.description)
        }
        guard verified.tag == nodeID else {
            throw .unauthenticated("the request is signed for \(verified.tag ?? "no node"), not for this node \(nodeID)")
        }
        let peer: Peer?
        do {
            peer = try await peers.peer(nodeID: verified.keyID)
        } catch {
            throw .unauthenticated("the peer registry cannot be read")
        }
        guard let peer else { throw .notAPeer("node \(verified.keyID) is not a peer of this node") }
        if let pinned = peer.publicKey, pinned != publicKey { throw .notAPeer("node \(verified.keyID) signed with another key") }
        let nonce = verified.keyID + "/" + verified.nonce
        try remember(nonce: nonce, created: verified.created)
        // The store's record of nonces outlasts a restart and is shared by the node's replicas. It is read at
        // once and written behind the answer, so that a request does not wait for a disk flush.
        let seen: Bool
        do {
            seen = try await peers.hasSeenNonce(nonce)
        } catch {
            throw .unauthenticated("the record of seen requests cannot be read")
        }
        guard !seen else { throw .unauthenticated("replayed request: this nonce was seen before") }
        let first = unwritten.withLock { pending in
            pending.append((nonce, verified.created))
            return pending.count == 1
        }
        if first { flushRequests.yield() }
        return peer
    }

    /// Writes the nonces accepted since the last write to the store (also called before the store closes).
    public func flush() async {
        let batch = unwritten.withLock { pending in
            defer { pending = [] }
            return pending
        }
        let window = Int64(maxSkew.components.seconds) * 2000
        try? await peers.rememberNonces(batch, forgetBefore: Timestamp(milliseconds: Timestamp.now().milliseconds - window))
    }

    /// Refuses a nonce seen before; forgets nonces once they are too old to be accepted anyway.
    private func remember(nonce: String, created: Timestamp) throws(Refusal) {
        let now = Timestamp.now().milliseconds
        let window = Int64(maxSkew.components.seconds) * 2000
        let fresh = seenNonces.withLock { seen -> Bool in
            if seen.count > 100_000 { seen = seen.filter { now - $0.value < window } }
            return seen.updateValue(created.milliseconds, forKey: nonce) == nil
        }
        guard fresh else { throw .unauthenticated("replayed request: this nonce was seen before") }
    }
}

/// Header names of federation requests.
public enum PeerClientHeader {
    /// The signing node's public key, base64url.
    public static let publicKey = "Concord-Public-Key"
}
