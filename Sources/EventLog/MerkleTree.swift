import Crypto

/// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1) over
/// a ledger: leaf `i` is the record at position `i + 1`, its whole stored bytes
/// (which include its position and its chain hash).
///
/// Hashes are SHA-256: a leaf's is `SHA-256(0x00 ‖ leaf)`, an inner node's
/// `SHA-256(0x01 ‖ left ‖ right)`, and the empty tree's `SHA-256()` of nothing.
/// The tree of `n` leaves splits at the largest power of two below `n`, so a
/// tree of size `m` is a prefix of every bigger one: a *consistency proof*
/// shows that the ledger of size `n` extends the one of size `m` unchanged, an
/// *inclusion proof* that a record is leaf `i` of a tree of size `n`. Both are
/// `O(log n)` hashes, and are checked with the hashes alone.
public enum MerkleTree {
    /// A node or leaf hash: 32 bytes.
    public typealias Hash = [UInt8]

    /// The root of the empty tree: SHA-256 of no bytes.
    public static let emptyRoot: Hash = Array(SHA256.hash(data: [UInt8]()))

    /// `SHA-256(0x00 ‖ leaf)`.
    public static func leafHash(_ leaf: UnsafeRawBufferPointer) -> Hash {
        Node.leaf(leaf).hash
    }

    /// `SHA-256(0x00 ‖ leaf)`.
    public static func leafHash(_ leaf: [UInt8]) -> Hash {
        leaf.withUnsafeBytes { leafHash($0) }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`. Hashes of another length than 32 bytes
    /// (a damaged proof) are hashed as they are: the result matches no root
    /// built from real hashes.
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        guard left.count == 32, right.count == 32 else { return Array(SHA256.hash(data: [0x01] + left + right)) }
        return Node.parent(Node(left), Node(right)).hash
    }

    /// A node hash held inline (no heap allocation): what the builders keep.
    package struct Node: Sendable, Hashable {
        private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        init(_ bytes: UnsafeRawBufferPointer) {
            precondition(bytes.count == 32, "a node hash has 32 bytes")
            Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        }

        init(_ hash: Hash) {
            self = hash.withUnsafeBytes { Node($0) }
        }

        package func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
            try Swift.withUnsafeBytes(of: words, body)
        }

        package var hash: Hash { withUnsafeBytes { Array($0) } }

        package static func == (a: Node, b: Node) -> Bool { a.words == b.words }
        package func hash(into hasher: inout Hasher) { withUnsafeBytes { hasher.combine(bytes: $0) } }

        /// `SHA-256(0x00 ‖ leaf)`.
        static func leaf(_ bytes: UnsafeRawBufferPointer) -> Node {
            var hasher = SHA256()
            Swift.withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: bytes)
            return Node(digest: hasher.finalize())
        }

        /// `SHA-256(0x01 ‖ left ‖ right)`.
        static func parent(_ left: Node, _ right: Node) -> Node {
            var hasher = SHA256()
            Swift.withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
            left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            return Node(digest: hasher.finalize())
        }

        init(digest: SHA256Digest) {
            digest.withUnsafeBytes { bytes in Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) } }
        }
    }

    /// The root of a tree grown one leaf at a time, in `O(log n)` memory: the
    /// roots of the perfect subtrees the leaves so far make, biggest first.
    public struct Builder: Sendable {
        private var subtrees: [(hash: Node, size: UInt64)] = []
        /// The leaves added.
        public private(set) var size: UInt64 = 0

        /// An empty tree.
        public init() {}

        /// Adds the next leaf, by its leaf hash.
        public mutating func append(leafHash: Hash) {
            append(leaf: Node(leafHash)) { _, _, _ in }
        }

        /// Adds the next leaf and passes each inner node it completes (level,
        /// index among its level's nodes, hash) to `completed`, lowest first.
        public mutating func append(leafHash: Hash, completed: (_ level: Int, _ index: UInt64, _ hash: Hash) throws -> Void) rethrows {
            try append(leaf: Node(leafHash)) { try completed($0, $1, $2.hash) }
        }

        /// ``append(leafHash:completed:)`` without allocating.
        mutating func append(leaf: Node, completed: (_ level: Int, _ index: UInt64, _ hash: Node) throws -> Void) rethrows {
            subtrees.append((leaf, 1))
            size += 1
            while subtrees.count >= 2, subtrees[subtrees.count - 1].size == subtrees[subtrees.count - 2].size {
                let right = subtrees.removeLast()
                let left = subtrees.removeLast()
                let merged = (hash: Node.parent(left.hash, right.hash), size: left.size * 2)
                subtrees.append(merged)
                let level = merged.size.trailingZeroBitCount
                try completed(level, (size - merged.size) >> UInt64(level), merged.hash)
            }
        }

        /// Sets the tree to `size` leaves made of these perfect subtrees, biggest first.
        mutating func restore(size: UInt64, subtrees: [(hash: Hash, size: UInt64)]) {
            self.size = size
            self.subtrees = subtrees.map { (Node($0.hash), $0.size) }
        }

        /// The root of the leaves added so far.
        public var root: Hash {
            guard var root = subtrees.last?.hash else { return MerkleTree.emptyRoot }
            for subtree in subtrees.dropLast().reversed() {
                root = Node.parent(subtree.hash, root)
            }
            return root.hash
        }
    }

    /// The largest power of two below `n` (for `n` of 2 or more): where a tree splits.
    static func split(_ n: UInt64) -> UInt64 {
        1 << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The inclusion proof (RFC 9162's `PATH`) of leaf `index` in the tree of
    /// `size` leaves, leaf side first. `rangeRoot` gives the root of the leaves
    /// in a range; the ranges it is asked for are disjoint, so a caller that
    /// reads leaves to answer reads each at most once.
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` when `index` is not below
    ///   `size`, and what `rangeRoot` throws.
    public static func inclusionProof(index: UInt64, size: UInt64, rangeRoot: (Range<UInt64>) throws -> Hash) throws -> [Hash] {
        guard index < size else { throw EventLogError(.invalidArgument, "leaf \(index) is not in a tree of \(size) leaves") }
        return try path(index: index, size: size, rangeRoot: rangeRoot)
    }

    /// ``inclusionProof(index:size:rangeRoot:)`` for an `index` below `size`, which the caller has checked.
    static func path(index: UInt64, size: UInt64, rangeRoot: (Range<UInt64>) throws -> Hash) rethrows -> [Hash] {
        assert(index < size, "leaf \(index) is not in a tree of \(size)")
        var proof: [Hash] = []
        var range = 0..<size
        // From the root down: the sibling of the side that holds the leaf.
        while range.count > 1 {
            let k = split(UInt64(range.count))
            let middle = range.lowerBound + k
            if index < middle {
                proof.append(try rangeRoot(middle..<range.upperBound))
                range = range.lowerBound..<middle
            } else {
                proof.append(try rangeRoot(range.lowerBound..<middle))
                range = middle..<range.upperBound
            }
        }
        return proof.reversed()
    }

    /// The consistency proof (RFC 9162's `PROOF`) that the tree of `oldSize`
    /// leaves is a prefix of the tree of `newSize` (`oldSize` at most `newSize`).
    ///
    /// - Throws: ``EventLogError/Code/invalidArgument`` when `oldSize` is above
    ///   `newSize`, and what `rangeRoot` throws.
    public static func consistencyProof(from oldSize: UInt64, to newSize: UInt64, rangeRoot: (Range<UInt64>) throws -> Hash) throws -> [Hash] {
        guard oldSize <= newSize else { throw EventLogError(.invalidArgument, "a tree of \(oldSize) leaves is not a prefix of one of \(newSize)") }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof: [Hash] = []
        var range = 0..<newSize
        var m = oldSize
        var complete = true
        // SUBPROOF(m, D[range], complete), unrolled from the top.
        while m != UInt64(range.count) {
            let k = split(UInt64(range.count))
            let middle = range.lowerBound + k
            if m <= k {
                proof.append(try rangeRoot(middle..<range.upperBound))
                range = range.lowerBound..<middle
            } else {
                proof.append(try rangeRoot(range.lowerBound..<middle))
                range = middle..<range.upperBound
                m -= k
                complete = false
            }
        }
        if !complete { proof.append(try rangeRoot(range)) }
        return proof.reversed()
    }

    /// The root an inclusion proof leads to from leaf `index`'s hash in a tree of
    /// `size` (RFC 9162, 2.1.3.2); nil when the proof cannot be one for that leaf
    /// and size (too short, too long, an index beyond the size).
    public static func root(fromInclusionProof proof: [Hash], index: UInt64, size: UInt64, leafHash: Hash) -> Hash? {
        guard index < size, leafHash.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                climbRightEdge(&fn, &sn)
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// On the right edge of a subtree (`fn` even and the last node of its level):
    /// right-shifts `fn` and `sn` together until `fn` is odd or 0, as RFC 9162's
    /// verification algorithms do there.
    private static func climbRightEdge(_ fn: inout UInt64, _ sn: inout UInt64) {
        while fn & 1 == 0, fn != 0 {
            fn >>= 1
            sn >>= 1
        }
    }

    /// Whether `proof` shows the tree of `oldSize` with root `oldRoot` to be a
    /// prefix of the tree of `newSize` with root `newRoot` (RFC 9162, 2.1.4.2).
    public static func verifyConsistency(proof: [Hash], oldSize: UInt64, newSize: UInt64, oldRoot: Hash, newRoot: Hash) -> Bool {
        guard oldSize <= newSize, proof.allSatisfy({ $0.count == 32 }) else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                climbRightEdge(&fn, &sn)
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}

extension EventStore {
    /// The Merkle tree root (``MerkleTree``) of the ledger's first `size` records,
    /// read in one pass. Throws when the ledger holds fewer.
    public func treeRoot(size: UInt64) throws -> MerkleTree.Hash {
        try treeRoot(of: 0..<size)
    }

    /// The root of the subtree over the leaves in `range` (records
    /// `range.lowerBound + 1 ... range.upperBound`).
    public func treeRoot(of range: Range<UInt64>) throws -> MerkleTree.Hash {
        var builder = MerkleTree.Builder()
        guard !range.isEmpty else { return builder.root }
        try forEachRecord(from: range.lowerBound + 1, limit: Int(clamping: range.count)) { record in
            builder.append(leafHash: MerkleTree.leafHash(record.bytes))
        }
        guard builder.size == UInt64(range.count) else {
            throw EventLogError(.invalidArgument, "the ledger has \(range.lowerBound + builder.size) records, not \(range.upperBound)")
        }
        return builder.root
    }
}
