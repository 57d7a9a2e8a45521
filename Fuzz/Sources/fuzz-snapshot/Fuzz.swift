// A projection snapshot as the ledger stores it (the desk projector's binary
// and JSON parts, a flow analysis's JSON): a damaged or cut one is refused with
// an error, never a trap. Seeds: the snapshots of a small generated ledger
// (Fuzz/seed-corpus.py).
import Foundation
import FuzzSupport
import Projections

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    _ = try? DeskProjector(snapshotData: bytes)
    _ = try? FlowAnalyzer(snapshotData: bytes)
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_snapshot_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
