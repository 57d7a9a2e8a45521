// A CSV file as an import reads it: the scanner and the value parsers return or
// refuse, never trap, hang or read out of bounds.
@_spi(Fuzzing) import LedgerIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    FuzzingEntryPoints.readCSV(bytes)
    FuzzingEntryPoints.readCSV(bytes, timeFormat: "dd/MM/yyyy hh:mm a")
    return 0
}

// SwiftPM links an executable's entry point under the name `fuzz_csv_main`
// and makes it `main`; it hands the command line to libFuzzer's driver.
@_cdecl("fuzz_csv_main")
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
