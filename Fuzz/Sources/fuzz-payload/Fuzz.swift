// A ticket event's payload under each known type and schema version: the codec
// refuses what it cannot read with an error, never a trap.
import TicketLedger
import FuzzSupport

let types = TicketEventCodec.knownTypes.sorted()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size >= 2 else { return 0 }
    let type = types[Int(data[0]) % types.count]
    let schemaVersion = UInt16(data[1] % 4)
    let payload = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    _ = try? TicketEventCodec.decode(type: type, schemaVersion: schemaVersion, payload: payload)
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_payload_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
