// A JSON Lines export given to `desk import --format jsonl`: checked and decoded
// into the events it would append, or refused with the line.
import Foundation
import EventLog
import LedgerIO
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var count = 0
    try? JSONLinesImport.forEachEvent(in: Data(bytes: data, count: size), file: "fuzz.jsonl") { _, _ in count += 1 }
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_jsonl_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
