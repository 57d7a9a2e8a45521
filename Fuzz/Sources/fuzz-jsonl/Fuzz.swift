// A JSON Lines export given to `desk import --format jsonl`: checked and decoded
// into the events it would append, or refused with the line.
import Foundation
import EventLog
import LedgerIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    var count = 0
    try? JSONLinesImport.forEachEvent(in: Data(bytes: data, count: size), file: "fuzz.jsonl") { _, _ in count += 1 }
    return 0
}

// SwiftPM links an executable's entry point under the name `fuzz_jsonl_main`
// and makes it `main`; it hands the command line to libFuzzer's driver.
@_cdecl("fuzz_jsonl_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
