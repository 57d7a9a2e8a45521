import Crypto
import Foundation

/// The map a checkpoint commits to beside the log: one leaf per stream, in the
/// byte order of the stream ids, saying how many events the stream had and the
/// hash of its history. With an inclusion proof of a stream's leaf, a ticket's
/// export shows that the ticket had exactly those events at the checkpoint, and
/// no other.
///
/// - A stream's history hash starts as 32 zero bytes; each of its records, in
///   version order, makes it `SHA-256(history ‖ record hash)` (the record's
///   stored chain hash, its last 32 bytes).
/// - A leaf's bytes are the stream id's UTF-8 length (2 bytes, big-endian), the
///   id, the event count (8 bytes, big-endian) and the history hash.
/// - The map root is the RFC 9162 tree root (``MerkleTree``) over the leaves.
public struct StreamEntry: Sendable, Hashable {
    /// The stream (ticket or problem) id.
    public var streamID: String
    /// Its events up to the checkpoint.
    public var count: UInt64
    /// The hash of its history.
    public var history: MerkleTree.Hash

    /// An entry from its parts.
    public init(streamID: String, count: UInt64, history: MerkleTree.Hash) {
        self.streamID = streamID
        self.count = count
        self.history = history
    }

    /// A stream without events.
    public static let emptyHistory: MerkleTree.Hash = [UInt8](repeating: 0, count: 32)

    /// The history after one more record whose chain hash is `recordHash`.
    public static func extend(_ history: MerkleTree.Hash, recordHash: some Sequence<UInt8>) -> MerkleTree.Hash {
        Array(recordHash).withUnsafeBytes { Array(extendDigest(history, recordHash: $0)) }
    }

    /// ``extend(_:recordHash:)`` without allocating: the one place the history rule is written.
    static func extendDigest(_ history: some ContiguousBytes, recordHash: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        history.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: recordHash)
        return hasher.finalize()
    }

    /// The leaf's bytes.
    public var leaf: [UInt8] {
        let id = Array(streamID.utf8)
        var bytes: [UInt8] = [UInt8(id.count >> 8), UInt8(id.count & 0xFF)] + id
        bytes.reserveCapacity(bytes.count + 40)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((count >> UInt64(shift)) & 0xFF)) }
        return bytes + history
    }
}

extension StreamEntry {
    /// The map of streams with these counts and histories: its entries in byte
    /// order of the stream ids, and its tree.
    static func map(_ histories: [String: (count: UInt64, history: MerkleTree.Hash)]) -> ([StreamEntry], MerkleTree.Levels) {
        let entries = histories.map { StreamEntry(streamID: $0.key, count: $0.value.count, history: $0.value.history) }
            .sorted { $0.streamID.utf8.lexicographicallyPrecedes($1.streamID.utf8) }
        var leafHashes: [UInt8] = []
        leafHashes.reserveCapacity(entries.count * 32)
        for entry in entries { leafHashes += MerkleTree.leafHash(entry.leaf) }
        return (entries, MerkleTree.Levels(leafHashes: leafHashes))
    }

    /// The map root (and size) of streams with these counts and histories.
    public static func mapRoot(_ histories: [String: (count: UInt64, history: MerkleTree.Hash)]) -> (size: UInt64, root: MerkleTree.Hash) {
        let map = map(histories).1
        return (map.size, map.root)
    }
}

/// A stream's entry in the map and the inclusion proof of its leaf.
public struct StreamProof: Sendable, Hashable {
    /// The stream's entry.
    public var entry: StreamEntry
    /// The leaf's index in the map (streams in byte order).
    public var index: UInt64
    /// The RFC 9162 inclusion proof of the leaf in the map of ``LedgerProof/mapSize`` leaves.
    public var path: [MerkleTree.Hash]
}

/// What one pass over a ledger's first ``size`` records proves: the log's tree
/// root and the stream map's root (what a ``Checkpoint`` signs), inclusion
/// proofs of chosen positions, and map proofs of chosen streams.
public struct LedgerProof: Sendable {
    /// The records covered: positions 1 through `size`.
    public var size: UInt64
    /// The log's ``MerkleTree`` root.
    public var root: MerkleTree.Hash
    /// The streams in the map.
    public var mapSize: UInt64
    /// The map's root (``StreamEntry``).
    public var mapRoot: MerkleTree.Hash
    /// Each requested position's inclusion proof in the tree of `size`, leaf side first.
    public var inclusion: [UInt64: [MerkleTree.Hash]]
    /// Each requested stream's map proof; a stream without events has none.
    public var streams: [String: StreamProof]

    /// The checkpoint's `map` extension line: `map SIZE BASE64-ROOT`.
    public var mapLine: String { "map \(mapSize) \(Data(mapRoot).base64EncodedString())" }

    /// A checkpoint of these roots, with the time and any further extension lines.
    public func checkpoint(origin: String, time: Timestamp, extensions: [String] = []) -> Checkpoint {
        Checkpoint(origin: origin, size: size, root: root, extensions: [mapLine, "time \(time)"] + extensions)
    }
}

extension Checkpoint {
    /// The `map` extension line's stream count and root, if the checkpoint has one.
    public var map: (size: UInt64, root: MerkleTree.Hash)? {
        guard let line = extensions.first(where: { $0.hasPrefix("map ") }) else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count == 3, let size = UInt64(parts[1]), let root = Data(base64Encoded: String(parts[2])), root.count == 32 else { return nil }
        return (size, Array(root))
    }
}

extension MerkleTree {
    /// A whole tree held in memory, level by level, for `O(log n)` proofs: the
    /// stream map, which a proof pass builds in full.
    struct Levels {
        /// Level 0 holds the leaf hashes; level `k + 1` the parents of level `k`'s complete pairs.
        private var levels: [[UInt8]]
        let size: UInt64

        init(leafHashes: [UInt8]) {
            levels = [leafHashes]
            size = UInt64(leafHashes.count / 32)
            while levels[levels.count - 1].count >= 64 {
                let below = levels[levels.count - 1]
                var above: [UInt8] = []
                above.reserveCapacity(below.count / 2)
                below.withUnsafeBytes { bytes in
                    for pair in stride(from: 0, to: bytes.count - 63, by: 64) {
                        let left = Node(UnsafeRawBufferPointer(rebasing: bytes[pair..<pair + 32]))
                        let right = Node(UnsafeRawBufferPointer(rebasing: bytes[pair + 32..<pair + 64]))
                        Node.parent(left, right).withUnsafeBytes { above.append(contentsOf: $0) }
                    }
                }
                levels.append(above)
            }
        }

        func node(level: Int, index: UInt64) -> Hash {
            let start = Int(index) * 32
            return Array(levels[level][start..<start + 32])
        }

        var root: Hash { rangeRoot(0..<size) }

        /// The root of the leaves in `range`, from the perfect subtrees it splits into.
        func rangeRoot(_ range: Range<UInt64>) -> Hash {
            guard !range.isEmpty else { return emptyRoot }
            let pieces = MerkleTree.perfectPieces(range)
            var root: Hash?
            for piece in pieces.reversed() {
                let level = piece.count.trailingZeroBitCount
                let hash = node(level: level, index: piece.lowerBound >> UInt64(level))
                root = root.map { nodeHash(hash, $0) } ?? hash
            }
            return root!
        }

        func inclusionProof(index: UInt64) -> [Hash] {
            MerkleTree.path(index: index, size: size) { rangeRoot($0) }
        }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)` of two digests, without allocating.
    static func nodeDigest(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }

    /// The perfect, aligned subtrees a range of an RFC 9162 tree is made of,
    /// left to right and biggest first (one for a perfect subtree).
    static func perfectPieces(_ range: Range<UInt64>) -> [Range<UInt64>] {
        var pieces: [Range<UInt64>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let remaining = range.upperBound - start
            var piece: UInt64 = 1 << (63 - remaining.leadingZeroBitCount)
            if start != 0 { piece = Swift.min(piece, 1 << UInt64(start.trailingZeroBitCount)) }
            pieces.append(start..<start + piece)
            start += piece
        }
        return pieces
    }
}

extension LedgerProof {
    /// Builds a ``LedgerProof`` from the records passed to it, in position order
    /// from 1: for a caller that reads the ledger anyway (a full export) and
    /// proves it in the same pass. Memory grows with the number of streams.
    public struct Builder {
        let size: UInt64
        let streams: Set<String>
        /// The perfect subtrees the proofs need, and each position's path as ranges.
        private var wanted = Set<Range<UInt64>>()
        private var paths: [UInt64: [Range<UInt64>]] = [:]
        // Digests, not arrays, in the loop: no allocation per record.
        private var found: [Range<UInt64>: MerkleTree.Hash] = [:]
        private var stack: [(hash: SHA256Digest, range: Range<UInt64>)] = []
        private var digests: [String: (count: UInt64, history: SHA256Digest?)] = [:]
        private var leaves: UInt64 = 0

        /// A builder for the first `size` records, proving `positions` and `streams`.
        ///
        /// - Throws: when a position is not among the first `size`.
        public init(size: UInt64, positions: some Sequence<UInt64> = [], streams: Set<String> = []) throws {
            self.size = size
            self.streams = streams
            for position in positions {
                guard position >= 1, position <= size else {
                    throw EventLogError(.invalidArgument, "position \(position) is not among the first \(size) records")
                }
                var ranges: [Range<UInt64>] = []
                _ = MerkleTree.path(index: position - 1, size: size) { range in
                    ranges.append(range)
                    return []
                }
                // inclusionProof asks from the root down and returns the path leaf side first.
                ranges.reverse()
                for range in ranges { wanted.formUnion(MerkleTree.perfectPieces(range)) }
                paths[position] = ranges
            }
        }

        /// Adds the next record (position 1 first, then 2, ...).
        public mutating func add(_ view: RecordView) {
            add(view) { _, _, _ in }
        }

        /// Adds the next record and passes each inner tree node it completes
        /// (level, index among its level's nodes, hash) to `completed`.
        mutating func add(_ view: RecordView, completed: (_ level: Int, _ index: UInt64, _ hash: SHA256Digest) throws -> Void) rethrows {
            var hasher = SHA256()
            hasher.update(data: [0x00])
            hasher.update(bufferPointer: view.bytes)
            var node = (hash: hasher.finalize(), range: leaves..<leaves + 1)
            leaves += 1
            if wanted.contains(node.range) { found[node.range] = Array(node.hash) }
            while let last = stack.last, last.range.count == node.range.count {
                stack.removeLast()
                node = (MerkleTree.nodeDigest(last.hash, node.hash), last.range.lowerBound..<node.range.upperBound)
                if wanted.contains(node.range) { found[node.range] = Array(node.hash) }
                let level = UInt64(node.range.count).trailingZeroBitCount
                try completed(level, node.range.lowerBound >> UInt64(level), node.hash)
            }
            stack.append(node)
            let stream = view.streamID
            let previous = digests[stream]
            let history = previous?.history.map { StreamEntry.extendDigest($0, recordHash: view.hashBytes) }
                ?? StreamEntry.extendDigest(StreamEntry.emptyHistory, recordHash: view.hashBytes)
            digests[stream] = ((previous?.count ?? 0) + 1, history)
        }

        /// The roots and proofs.
        ///
        /// - Throws: when fewer or more than `size` records were added.
        public func finish() throws -> LedgerProof {
            guard leaves == size else {
                throw EventLogError(.invalidArgument, "the ledger has \(leaves) records, not \(size)")
            }
            var histories: [String: (count: UInt64, history: MerkleTree.Hash)] = [:]
            histories.reserveCapacity(digests.count)
            for (stream, value) in digests { histories[stream] = (value.count, value.history.map(Array.init) ?? StreamEntry.emptyHistory) }
            func root(of range: Range<UInt64>) -> MerkleTree.Hash {
                var root: MerkleTree.Hash?
                for piece in MerkleTree.perfectPieces(range).reversed() {
                    let hash = found[piece]!
                    root = root.map { MerkleTree.nodeHash(hash, $0) } ?? hash
                }
                return root!
            }
            var logRoot = MerkleTree.emptyRoot
            if let top = stack.last {
                logRoot = Array(stack.dropLast().reversed().reduce(top.hash) { MerkleTree.nodeDigest($1.hash, $0) })
            }
            let (entries, map) = StreamEntry.map(histories)
            var streamProofs: [String: StreamProof] = [:]
            if !streams.isEmpty {
                for (index, entry) in entries.enumerated() where streams.contains(entry.streamID) {
                    streamProofs[entry.streamID] = StreamProof(entry: entry, index: UInt64(index), path: map.inclusionProof(index: UInt64(index)))
                }
            }
            return LedgerProof(
                size: size, root: logRoot, mapSize: map.size, mapRoot: map.root,
                inclusion: paths.mapValues { $0.map(root(of:)) }, streams: streamProofs)
        }
    }
}

/// Where ``EventStore/prove(size:positions:streams:from:)`` takes its hashes.
public enum ProofSource: Sendable, Hashable {
    /// The stored proof index (``ProofIndex``) when it covers the size asked
    /// for, the records otherwise: what exports and checkpoints use.
    case index
    /// The records alone, read once: what checking a ledger against a
    /// checkpoint uses, so that nothing stored beside the records is trusted.
    case records
}

extension EventStore {
    /// Proves what is asked of the ledger's first `size` records: the log's root
    /// and the stream map's root, the inclusion proof of each of `positions` (1
    /// through `size`) and the map proof of each of `streams`.
    ///
    /// From the index (the default, when it covers `size`), it reads a few
    /// stored nodes and at most 255 records per position, and one entry per
    /// stream; from the records, it reads the first `size` once. Both give the
    /// same proof. Memory grows with the number of streams, not of records.
    ///
    /// - Throws: when the ledger holds fewer than `size` records or a position is beyond it.
    public func prove(
        size: UInt64, positions: some Sequence<UInt64> = [], streams: Set<String> = [], from source: ProofSource = .index
    ) throws -> LedgerProof {
        if source == .index, size > 0, try proofIndexSize() >= size {
            return try indexedProof(size: size, positions: Array(positions), streams: streams)
        }
        var builder = try LedgerProof.Builder(size: size, positions: positions, streams: streams)
        if size > 0 {
            try forEachRecord(from: 1, limit: Int(clamping: size)) { builder.add($0) }
        }
        return try builder.finish()
    }

    private func indexedProof(size: UInt64, positions: [UInt64], streams: Set<String>) throws -> LedgerProof {
        var inclusion: [UInt64: [MerkleTree.Hash]] = [:]
        for position in positions {
            guard position >= 1, position <= size else {
                throw EventLogError(.invalidArgument, "position \(position) is not among the first \(size) records")
            }
            inclusion[position] = try MerkleTree.inclusionProof(index: position - 1, size: size, rangeRoot: indexedRangeRoot)
        }
        var leafHashes: [UInt8] = []
        var wanted: [(index: UInt64, entry: StreamEntry)] = []
        var index: UInt64 = 0
        try forEachStreamEntry(size: size) { entry in
            if streams.contains(entry.streamID) { wanted.append((index, entry)) }
            leafHashes += MerkleTree.leafHash(entry.leaf)
            index += 1
        }
        let map = MerkleTree.Levels(leafHashes: leafHashes)
        var streamProofs: [String: StreamProof] = [:]
        for (index, entry) in wanted {
            streamProofs[entry.streamID] = StreamProof(entry: entry, index: index, path: map.inclusionProof(index: index))
        }
        return LedgerProof(
            size: size, root: try indexedRangeRoot(0..<size), mapSize: map.size, mapRoot: map.root,
            inclusion: inclusion, streams: streamProofs)
    }
}
