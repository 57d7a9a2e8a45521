// A ticket event's payload under each known type and schema version: the codec
// refuses what it cannot read with an error, never a trap. What decodes is then
// revealed (sealed personal data: base64, a subject, AES-GCM-SIV), and so are
// the raw bytes as text: a damaged or forged sealed field reads as unreadable,
// never a trap.
import Crypto
import FuzzSupport
import TicketLedger

let types = TicketEventCodec.knownTypes.sorted()

/// A key store that has one key for every subject.
struct OneKey: SubjectKeyStore {
    func subjectKey(for name: String) throws(DeskError) -> (id: SubjectID, key: SymmetricKey) {
        (SubjectID(bytes: [UInt8](repeating: 7, count: SubjectID.size))!, SymmetricKey(data: [UInt8](repeating: 1, count: 32)))
    }
    func subject(named name: String) throws(DeskError) -> SubjectID? { nil }
    func key(for id: SubjectID) throws(DeskError) -> SymmetricKey? { SymmetricKey(data: [UInt8](repeating: 1, count: 32)) }
    func destroyKey(of id: SubjectID) throws(DeskError) -> Bool { false }
}

let personal = PersonalData(keys: OneKey())

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size >= 2 else { return 0 }
    let type = types[Int(data[0]) % types.count]
    let schemaVersion = UInt16(data[1] % 4)
    let payload = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    if let event = try? TicketEventCodec.decode(type: type, schemaVersion: schemaVersion, payload: payload) {
        _ = personal.reveal(event)
    }
    let text = "\u{1}1" + String(decoding: payload, as: UTF8.self)
    _ = PersonalData.subject(of: text)
    _ = personal.reveal(text)
    return 0
}

// libFuzzer's driver, as every fuzzer here starts it (FuzzSupport).
@_cdecl("fuzz_payload_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
