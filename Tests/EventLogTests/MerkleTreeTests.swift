import EventLog
import Foundation
import Testing
import TicketLedgerTesting
import LedgerBackendsTesting
import Crypto

/// The tree hashes and proofs against the reference implementation's published
/// vectors (Fixtures/rfc9162-vectors.json names their source), and against the
/// tampering a verifier must catch.
@Suite("Merkle tree (RFC 9162)")
struct MerkleTreeTests {
    struct Vectors: Decodable {
        struct Inclusion: Decodable { var leaf: UInt64; var size: UInt64; var proof: [String] }
        struct Consistency: Decodable { var size1: UInt64; var size2: UInt64; var proof: [String] }
        var leaves: [String]
        var roots: [String]
        var inclusion: [Inclusion]
        var consistency: [Consistency]
    }

    static let vectors: Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rfc9162-vectors.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    static func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    let leafHashes = vectors.leaves.map { MerkleTree.leafHash(bytes($0)) }

    func rangeRoot(_ range: Range<UInt64>) -> MerkleTree.Hash {
        var builder = MerkleTree.Builder()
        for index in range { builder.append(leafHash: leafHashes[Int(index)]) }
        return builder.root
    }

    @Test("the roots of the trees of 0 to 8 leaves equal the reference's")
    func roots() {
        for size in 0...8 {
            #expect(rangeRoot(0..<UInt64(size)) == Self.bytes(Self.vectors.roots[size]), "size \(size)")
        }
        #expect(MerkleTree.emptyRoot == Self.bytes(Self.vectors.roots[0]))
    }

    @Test("a proof asked for a leaf outside the tree, or from a bigger tree to a smaller, is refused with an error, not a crash")
    func proofArgumentsChecked() {
        for (index, size) in [(5, 5), (0, 0), (9, 3)] as [(UInt64, UInt64)] {
            #expect(throws: EventLogError.self, "leaf \(index) of \(size)") { _ = try MerkleTree.inclusionProof(index: index, size: size, rangeRoot: rangeRoot) }
        }
        do {
            _ = try MerkleTree.consistencyProof(from: 6, to: 5, rangeRoot: rangeRoot)
            Issue.record("a consistency proof from 6 to 5 was made")
        } catch let error as EventLogError {
            #expect(error.code == .invalidArgument && error.message.contains("not a prefix"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("inclusion proofs equal the reference's, verify, and every tampered variant fails")
    func inclusion() throws {
        for vector in Self.vectors.inclusion {
            let index = vector.leaf - 1
            let expected = vector.proof.map(Self.bytes)
            let proof = try MerkleTree.inclusionProof(index: index, size: vector.size, rangeRoot: rangeRoot)
            #expect(proof == expected, "leaf \(vector.leaf) of \(vector.size)")
            let root = Self.bytes(Self.vectors.roots[Int(vector.size)])
            let leaf = leafHashes[Int(index)]
            #expect(MerkleTree.root(fromInclusionProof: proof, index: index, size: vector.size, leafHash: leaf) == root)
            // What the reference's tests try: wrong index, size, leaf, root; garbage before or after; a flipped bit; a part removed.
            var wrong: [(String, MerkleTree.Hash?)] = [
                ("index + 1", MerkleTree.root(fromInclusionProof: proof, index: index + 1, size: vector.size, leafHash: leaf)),
                ("size * 2", MerkleTree.root(fromInclusionProof: proof, index: index, size: vector.size * 2, leafHash: leaf)),
                ("wrong leaf", MerkleTree.root(fromInclusionProof: proof, index: index, size: vector.size, leafHash: MerkleTree.leafHash([0x42]))),
                ("trailing root", MerkleTree.root(fromInclusionProof: proof + [root], index: index, size: vector.size, leafHash: leaf)),
                ("preceding root", MerkleTree.root(fromInclusionProof: [root] + proof, index: index, size: vector.size, leafHash: leaf)),
            ]
            if index > 0 { wrong.append(("index - 1", MerkleTree.root(fromInclusionProof: proof, index: index - 1, size: vector.size, leafHash: leaf))) }
            if vector.size > 1 { wrong.append(("size / 2", MerkleTree.root(fromInclusionProof: proof, index: index, size: vector.size / 2, leafHash: leaf))) }
            for part in proof.indices {
                var flipped = proof
                flipped[part][0] ^= 8
                wrong.append(("flipped part \(part)", MerkleTree.root(fromInclusionProof: flipped, index: index, size: vector.size, leafHash: leaf)))
                // A part of another length than a hash (a damaged export) fails, never traps.
                var cut = proof
                cut[part].removeLast()
                wrong.append(("part \(part) cut by a byte", MerkleTree.root(fromInclusionProof: cut, index: index, size: vector.size, leafHash: leaf)))
            }
            wrong.append(("a leaf hash cut by a byte", MerkleTree.root(fromInclusionProof: proof, index: index, size: vector.size, leafHash: Array(leaf.dropLast()))))
            if !proof.isEmpty { wrong.append(("removed part", MerkleTree.root(fromInclusionProof: Array(proof.dropLast()), index: index, size: vector.size, leafHash: leaf))) }
            for (what, result) in wrong {
                #expect(result != root, "\(what) verified for leaf \(vector.leaf) of \(vector.size)")
            }
        }
    }

    @Test("a node hash of inputs of any length is SHA-256(0x01 ‖ left ‖ right), as RFC 9162 defines it")
    func nodeHashOfAnyLength() {
        let left = Array(repeating: UInt8(7), count: 32), right = Array(repeating: UInt8(9), count: 32)
        #expect(MerkleTree.nodeHash(left, right) == Array(SHA256.hash(data: [0x01] + left + right)))
        #expect(MerkleTree.nodeHash([1, 2], Array(right.dropLast())) == Array(SHA256.hash(data: [0x01, 1, 2] + right.dropLast())))
    }

    @Test("consistency proofs equal the reference's, verify, and every tampered variant fails")
    func consistency() throws {
        for vector in Self.vectors.consistency {
            let expected = vector.proof.map(Self.bytes)
            let proof = try MerkleTree.consistencyProof(from: vector.size1, to: vector.size2, rangeRoot: rangeRoot)
            #expect(proof == expected, "\(vector.size1) to \(vector.size2)")
            let old = Self.bytes(Self.vectors.roots[Int(vector.size1)])
            let new = Self.bytes(Self.vectors.roots[Int(vector.size2)])
            #expect(MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new))
            guard !proof.isEmpty else { continue }
            var wrong: [(String, Bool)] = [
                ("size1 + 1", MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1 + 1, newSize: vector.size2, oldRoot: old, newRoot: new)),
                ("size1 - 1", MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1 - 1, newSize: vector.size2, oldRoot: old, newRoot: new)),
                ("size2 * 2", MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1, newSize: vector.size2 * 2, oldRoot: old, newRoot: new)),
                ("swapped roots", MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1, newSize: vector.size2, oldRoot: new, newRoot: old)),
                ("empty proof", MerkleTree.verifyConsistency(proof: [], oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)),
                ("trailing root", MerkleTree.verifyConsistency(proof: proof + [new], oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)),
                ("preceding root", MerkleTree.verifyConsistency(proof: [old] + proof, oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)),
                ("truncated", MerkleTree.verifyConsistency(proof: Array(proof.dropLast()), oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)),
            ]
            for part in proof.indices {
                var flipped = proof
                flipped[part][0] ^= 16
                wrong.append(("flipped part \(part)", MerkleTree.verifyConsistency(proof: flipped, oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)))
                var cut = proof
                cut[part].append(0)
                wrong.append(("part \(part) a byte longer", MerkleTree.verifyConsistency(proof: cut, oldSize: vector.size1, newSize: vector.size2, oldRoot: old, newRoot: new)))
            }
            // An old root of another length than a hash (it starts the path when the old size is a power of two) fails, never traps.
            wrong.append(("old root cut by a byte", MerkleTree.verifyConsistency(proof: proof, oldSize: vector.size1, newSize: vector.size2, oldRoot: Array(old.dropLast()), newRoot: new)))
            for (what, verified) in wrong {
                #expect(!verified, "\(what) verified for \(vector.size1) to \(vector.size2)")
            }
        }
    }

    @Test("every inclusion and consistency proof of trees up to 70 leaves verifies, and the built proofs match a recursive reading of RFC 9162")
    func allSmallTrees() throws {
        let leaves = (0..<70).map { MerkleTree.leafHash([UInt8($0)]) }
        func mth(_ range: Range<Int>) -> MerkleTree.Hash {
            if range.isEmpty { return MerkleTree.emptyRoot }
            if range.count == 1 { return leaves[range.lowerBound] }
            var k = 1
            while k * 2 < range.count { k *= 2 }
            return MerkleTree.nodeHash(mth(range.lowerBound..<range.lowerBound + k), mth(range.lowerBound + k..<range.upperBound))
        }
        let rangeRoot = { (range: Range<UInt64>) in mth(Int(range.lowerBound)..<Int(range.upperBound)) }
        for size in 1...70 {
            let root = mth(0..<size)
            var builder = MerkleTree.Builder()
            for leaf in leaves[0..<size] { builder.append(leafHash: leaf) }
            #expect(builder.root == root)
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(index: UInt64(index), size: UInt64(size), rangeRoot: rangeRoot)
                #expect(MerkleTree.root(fromInclusionProof: proof, index: UInt64(index), size: UInt64(size), leafHash: leaves[index]) == root)
            }
            for old in 0...size {
                let proof = try MerkleTree.consistencyProof(from: UInt64(old), to: UInt64(size), rangeRoot: rangeRoot)
                #expect(MerkleTree.verifyConsistency(proof: proof, oldSize: UInt64(old), newSize: UInt64(size), oldRoot: mth(0..<old), newRoot: root), "\(old) to \(size)")
                if old > 0, old < size {
                    #expect(!MerkleTree.verifyConsistency(proof: proof, oldSize: UInt64(old), newSize: UInt64(size), oldRoot: mth(1..<old + 1), newRoot: root))
                }
            }
        }
    }

    @Test("one proof pass gives the scan's root and inclusion proofs, and the stream map as defined, on both backends", arguments: Backend.allCases)
    func provePass(_ backend: Backend) async throws {
        try await withFreshLedger(backend) { location in
            let log = try openLedger(location)
            defer { log.close() }
            // 77 records in 5 streams, appended in an interleaved order.
            for index in 0..<77 { _ = try log.append([sampleEvent("e\(index)")], to: "S-\((index * 7) % 5)") }
            _ = try log.append([sampleEvent("ü")], to: "é-stream")
            let size: UInt64 = 78
            let positions: [UInt64] = [1, 2, 33, 64, 65, 77, 78]
            let proof = try log.prove(size: size, positions: positions, streams: ["S-3", "é-stream", "missing"])
            #expect(proof.root == (try log.treeRoot(size: size)))
            for position in positions {
                let expected = try MerkleTree.inclusionProof(index: position - 1, size: size) { try log.treeRoot(of: $0) }
                #expect(proof.inclusion[position] == expected, "position \(position)")
            }
            // The stream map by hand: histories chained over the record hashes, leaves in byte order.
            var histories: [String: (UInt64, [UInt8])] = [:]
            try log.forEachRecord(from: 1, limit: .max) { view in
                let before = histories[view.streamID] ?? (0, [UInt8](repeating: 0, count: 32))
                histories[view.streamID] = (before.0 + 1, Array(SHA256.hash(data: before.1 + Array(view.hashBytes))))
            }
            let ids = histories.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(ids == ["S-0", "S-1", "S-2", "S-3", "S-4", "é-stream"])
            var builder = MerkleTree.Builder()
            for id in ids {
                let (count, history) = histories[id]!
                let leaf = [UInt8(id.utf8.count >> 8), UInt8(id.utf8.count & 0xFF)] + Array(id.utf8) + withUnsafeBytes(of: count.bigEndian) { Array($0) } + history
                builder.append(leafHash: MerkleTree.leafHash(leaf))
            }
            #expect(proof.mapSize == 6)
            #expect(proof.mapRoot == builder.root)
            #expect(proof.streams["missing"] == nil)
            let s3 = try #require(proof.streams["S-3"])
            #expect(s3.index == 3 && s3.entry.count == histories["S-3"]!.0)
            #expect(MerkleTree.root(fromInclusionProof: s3.path, index: 3, size: 6, leafHash: MerkleTree.leafHash(s3.entry.leaf)) == proof.mapRoot)
            // A checkpoint carries the map; one of fewer records is checked against the same records.
            let checkpoint = proof.checkpoint(origin: "test", time: .now())
            #expect(checkpoint.map?.root == proof.mapRoot)
            #expect(try log.mismatch(with: checkpoint) == nil)
            var forged = checkpoint
            forged.extensions[0] = "map 6 " + Data(repeating: 7, count: 32).base64EncodedString()
            #expect(try log.mismatch(with: forged)?.contains("stream map") == true)
            #expect(try log.prove(size: 0).root == MerkleTree.emptyRoot)
        }
    }
}

