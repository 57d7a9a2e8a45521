// A stored record, as a damaged or forged ledger file or export would hold it:
// decoding either refuses it with an error or yields an event whose every field
// reads back.
import EventLog
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let record = try? RecordView(validating: bytes, position: 1) else { return 0 }
    let event = record.materialize()
    _ = event.event.actor.description
    _ = event.streamID.utf8.count + event.type.utf8.count + event.payload.count
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_record_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
