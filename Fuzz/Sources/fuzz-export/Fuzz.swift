// An export handed to an auditor: `desk verify --export` says valid or names the
// first bad line, whatever the bytes.
import LedgerIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = ExportVerifier.verify(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    _ = result.isValid
    return 0
}

// SwiftPM links an executable's entry point under the name `fuzz_export_main`
// and makes it `main`; it hands the command line to libFuzzer's driver.
@_cdecl("fuzz_export_main")
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
