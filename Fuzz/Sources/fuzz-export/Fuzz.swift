// An export handed to an auditor: `desk verify --export` says valid or names the
// first bad line, whatever the bytes.
import LedgerIO
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = ExportVerifier.verify(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    _ = result.isValid
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_export_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
