// A CSV file as an import reads it: the scanner and the value parsers return or
// refuse, never trap, hang or read out of bounds.
@_spi(Fuzzing) import LedgerIO
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    FuzzingEntryPoints.readCSV(bytes)
    FuzzingEntryPoints.readCSV(bytes, timeFormat: "dd/MM/yyyy hh:mm a")
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_csv_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
