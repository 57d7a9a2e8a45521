import Crypto
import Dispatch

/// What every backend keeps beside the records, in the same transaction as
/// the records it covers, so that a checkpoint or a ticket's proof reads a few
/// stored hashes instead of every record:
///
/// - the ``MerkleTree`` nodes of the complete subtrees of ``storedLevel`` and
///   above (subtrees of 256 records and more: one stored node per 128 records);
///   a smaller subtree's root is hashed from its records, at most 255;
/// - for each record, its stream's version and history hash after it (the
///   ``StreamEntry`` rule), so the stream map at any size is read from the
///   stream index, one entry per stream.
///
/// A ledger written before the index existed gains it when it is next opened
/// for writing: the records are read once and the index written beside them,
/// without changing a record byte or the chain. Until then (opened read-only),
/// proofs are computed by a pass over the records, with the same results.
///
/// ``EventStore/verify(progress:)`` checks the index against the records.
public enum ProofIndex {
    /// The lowest tree level whose complete nodes are stored: 8, subtrees of 256 records.
    public static let storedLevel = 8

    /// A stored tree node: the root of the leaves `index << level ..< (index + 1) << level`.
    public struct Node: Sendable, Hashable {
        /// The node's level: its subtree has `1 << level` leaves.
        public var level: Int
        /// Its place among the nodes of its level, from 0.
        public var index: UInt64
        /// Its hash.
        public var hash: MerkleTree.Hash

        /// A node from its parts.
        public init(level: Int, index: UInt64, hash: MerkleTree.Hash) {
            self.level = level
            self.index = index
            self.hash = hash
        }

        /// The 9-byte key a backend files it under: the level, then the index big-endian.
        package var key: [UInt8] { [UInt8(level)] + index.bigEndianBytes }
    }

    /// One record's entry: its stream's version and history after it.
    public struct History: Sendable, Hashable {
        /// The record's position.
        public var position: UInt64
        /// Its stream version (the stream's event count with it).
        public var version: UInt64
        /// The stream's history hash with it.
        public var history: MerkleTree.Hash

        /// An entry from its parts.
        public init(position: UInt64, version: UInt64, history: MerkleTree.Hash) {
            self.position = position
            self.version = version
            self.history = history
        }

        /// An entry read back from its 40 stored bytes: the version big-endian, then the history.
        package init(position: UInt64, value: UnsafeRawBufferPointer) throws {
            guard value.count == 40 else {
                throw EventLogError(.corruptRecord, "the proof index entry of position \(position) has \(value.count) bytes instead of 40", position: position)
            }
            self.init(position: position, version: try UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: value[0..<8])), history: Array(value[8...]))
        }
    }

    /// What an append transaction writes to the index for the records it
    /// adds: written once here for every backend. Start it from the tree of the
    /// records before (``tree(size:location:node:records:)``), ``add(_:previous:)``
    /// each new record in position order, and store ``nodes`` and ``histories``
    /// in the transaction that stores the records.
    package struct Update: Sendable {
        /// The tree with the records added so far.
        package var tree: MerkleTree.Builder
        /// The tree nodes completed by the records added, not yet taken.
        package var nodes: [Node] = []
        /// One entry per record added, not yet taken.
        package var histories: [Entry] = []
        /// The newest history of each stream added to (or seeded with
        /// ``know(_:of:)``), so that only a stream's first record in the update
        /// asks `previous`; the stream of the latest run of records is in `run` instead.
        private var latest: [String: MerkleTree.Node] = [:]
        /// The stream of the last records added and its newest history: a run
        /// of one stream's records (a batch) looks nothing up.
        private var run: (stream: [UInt8], history: MerkleTree.Node)?

        /// A record's entry, its history held inline.
        package struct Entry: Sendable {
            package var position: UInt64
            package var version: UInt64
            package var history: MerkleTree.Node
        }

        /// An update continuing `tree`.
        package init(tree: MerkleTree.Builder) {
            self.tree = tree
        }

        /// Seeds a stream's newest history (read with the state the update starts from).
        package mutating func know(_ history: MerkleTree.Hash, of stream: String) {
            endRun()
            latest[stream] = MerkleTree.Node(history)
        }

        /// Files the run's stream history in `latest`.
        private mutating func endRun() {
            guard let run else { return }
            latest[String(decoding: run.stream, as: UTF8.self)] = run.history
            self.run = nil
        }

        /// Whether the update knows `stream`'s newest history (learnt from a
        /// record added, or seeded with ``know(_:of:)``).
        package func knows(_ stream: String) -> Bool {
            latest[stream] != nil || run?.stream.elementsEqual(stream.utf8) == true
        }

        /// Forgets the streams' histories learnt: after records added to the
        /// update were rolled back with their transaction, `previous` is asked again.
        package mutating func forgetHistories() {
            latest.removeAll()
            run = nil
        }

        /// Adds the next record. `previous` gives its stream's history before it
        /// when the update does not know it; it is not called for a stream's
        /// first record.
        package mutating func add(_ record: RecordView, previous: (String) throws -> MerkleTree.Hash) throws {
            guard record.position == tree.size + 1 else {
                throw EventLogError(.invalidArgument, "the proof index is at position \(tree.size), not \(record.position - 1)", position: record.position)
            }
            let streamBytes = record.streamIDBytes
            let before: MerkleTree.Node
            if let run, run.stream.elementsEqual(streamBytes) {
                before = record.streamVersion == 1 ? MerkleTree.Node(StreamEntry.emptyHistory) : run.history
            } else {
                endRun()
                let stream = record.streamID
                before =
                    if record.streamVersion == 1 {
                        MerkleTree.Node(StreamEntry.emptyHistory)
                    } else if let known = latest[stream] {
                        known
                    } else {
                        MerkleTree.Node(try previous(stream))
                    }
                run = (Array(streamBytes), before)
            }
            let history = MerkleTree.Node(digest: before.withUnsafeBytes { StreamEntry.extendDigest($0, recordHash: record.hashBytes) })
            run!.history = history
            histories.append(Entry(position: record.position, version: record.streamVersion, history: history))
            tree.append(leaf: .leaf(record.bytes)) { level, index, hash in
                if level >= storedLevel { nodes.append(Node(level: level, index: index, hash: hash.hash)) }
            }
        }
    }

    /// Hashes the index of a long run of records on a second thread while the
    /// writer encodes and stores them (the leaf, history and tree hashes need
    /// only the record bytes): a bulk append's writer then spends its time on
    /// the records and their chain alone. The records are added in position
    /// order, in chunks, and ``finish()`` gives the update back with every
    /// record added, as ``Update/add(_:previous:)`` one by one would have made it.
    ///
    /// Every stream the records belong to must be known to the update (or be
    /// new) before the pipeline starts: the hashing thread cannot read storage.
    package struct Pipeline: ~Copyable {
        /// Records per chunk handed to the hashing thread.
        package static let chunkSize = 1_024

        private let state: Shared
        private let queue = DispatchQueue(label: "ticketledger.proof-index.hashing")
        private var bytes: [UInt8] = []
        private var ends: [Int] = []
        private var first: UInt64 = 0

        /// The update and the first failure: touched only on the hashing queue,
        /// and by ``finish()`` once that queue has drained.
        private final class Shared: @unchecked Sendable {
            var update: Update
            var failure: EventLogError?
            init(_ update: Update) { self.update = update }
        }

        /// A pipeline continuing `update`.
        package init(_ update: Update) {
            state = Shared(update)
        }

        /// Adds the next record (copied: `record`'s bytes may be reused at once).
        package mutating func add(_ record: RecordView) {
            if ends.isEmpty { first = record.position }
            bytes.append(contentsOf: record.bytes)
            ends.append(bytes.count)
            if ends.count >= Self.chunkSize { dispatch() }
        }

        /// Waits for the hashing of every record added and returns the update.
        ///
        /// - Throws: what adding a record to the update threw (a record out of
        ///   position order, or a stream the update did not know).
        package consuming func finish() throws -> Update {
            dispatch()
            queue.sync {}
            if let failure = state.failure { throw failure }
            return state.update
        }

        private mutating func dispatch() {
            guard !ends.isEmpty else { return }
            let (bytes, ends, first, shared) = (bytes, ends, first, state)
            self.bytes = []
            self.ends = []
            self.bytes.reserveCapacity(bytes.count)
            self.ends.reserveCapacity(Self.chunkSize)
            queue.async {
                guard shared.failure == nil else { return }
                // Moved out, so that adding to it copies nothing.
                var update = shared.update
                shared.update = Update(tree: MerkleTree.Builder())
                defer { shared.update = update }
                bytes.withUnsafeBytes { bytes in
                    var start = 0
                    for (offset, end) in ends.enumerated() {
                        let position = first + UInt64(offset)
                        do {
                            let record = try RecordView(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), position: position)
                            try update.add(record) { stream in
                                throw EventLogError(.invalidArgument, "the proof index's hashing was not given the history of stream '\(stream)' before position \(position)", position: position)
                            }
                        } catch {
                            shared.failure = error as? EventLogError ?? EventLogError(.storage, "\(error)")
                            return
                        }
                        start = end
                    }
                }
            }
        }
    }

    /// The root of a perfect, aligned subtree: its stored node (`node`) from
    /// ``storedLevel`` up, the root of its records (`records`) below.
    ///
    /// - Throws: when a node that should be stored is not.
    package static func pieceRoot(
        _ piece: Range<UInt64>, location: String, node: (Int, UInt64) throws -> MerkleTree.Hash?,
        records: (Range<UInt64>) throws -> MerkleTree.Hash
    ) throws -> MerkleTree.Hash {
        let level = UInt64(piece.count).trailingZeroBitCount
        guard level >= storedLevel else { return try records(piece) }
        guard let hash = try node(level, piece.lowerBound >> UInt64(level)) else {
            throw EventLogError(
                .corruptRecord,
                "the proof index of '\(location)' has no tree node for records \(piece.lowerBound + 1)...\(piece.upperBound): it is damaged (desk verify says where)")
        }
        return hash
    }

    /// The tree of the first `size` records as appends continue it: its perfect
    /// subtrees' roots, from stored nodes and at most 255 records.
    package static func tree(
        size: UInt64, location: String, node: (Int, UInt64) throws -> MerkleTree.Hash?,
        records: (Range<UInt64>) throws -> MerkleTree.Hash
    ) throws -> MerkleTree.Builder {
        let roots = try MerkleTree.perfectPieces(0..<size).map { try pieceRoot($0, location: location, node: node, records: records) }
        return MerkleTree.Builder(size: size, subtreeRoots: roots)
    }
}

extension MerkleTree.Builder {
    /// The tree of `size` leaves whose perfect subtrees (biggest first, as
    /// ``MerkleTree/perfectPieces(_:)`` splits `0..<size`) have these roots.
    package init(size: UInt64, subtreeRoots: [MerkleTree.Hash]) {
        self.init()
        let pieces = MerkleTree.perfectPieces(0..<size)
        precondition(pieces.count == subtreeRoots.count, "a tree of \(size) leaves has \(pieces.count) perfect subtrees")
        restore(size: size, subtrees: zip(subtreeRoots, pieces).map { ($0, UInt64($1.count)) })
    }
}

extension EventStore {
    /// The root of the leaves in `range`, from the stored nodes of the proof
    /// index (``ProofIndex``) where the range has complete subtrees of 256 and
    /// more, and from the records for the rest.
    ///
    /// - Throws: when a node the range needs is not stored (the index does not cover the range).
    public func indexedRangeRoot(_ range: Range<UInt64>) throws -> MerkleTree.Hash {
        guard !range.isEmpty else { return MerkleTree.emptyRoot }
        var root: MerkleTree.Hash?
        for piece in MerkleTree.perfectPieces(range).reversed() {
            let hash = try ProofIndex.pieceRoot(piece, location: location, node: treeNode, records: treeRoot(of:))
            root = root.map { MerkleTree.nodeHash(hash, $0) } ?? hash
        }
        return root!
    }
}
