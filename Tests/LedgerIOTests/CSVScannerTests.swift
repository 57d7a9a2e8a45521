import Foundation
import Testing
import TicketLedger

@testable import LedgerIO

/// The scanner reads most fields in place; this holds it to the byte-by-byte
/// reading it replaced (kept here as the reference) on seeded random inputs
/// made of the bytes that matter: delimiters, quotes, line ends, carriage
/// returns, multi-byte and invalid UTF-8.
@Suite("CSV scanner")
struct CSVScannerTests {
    /// The scanner as it was before fields were read in place: every byte appended.
    struct Reference {
        let bytes: [UInt8]
        let delimiter: UInt8
        var offset = 0
        var line = 1
        var invalidUTF8Field: Int?

        mutating func next() throws -> (fields: [String], line: Int, offset: Int)? {
            guard offset < bytes.count else { return nil }
            let startLine = line
            let startOffset = offset
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            invalidUTF8Field = nil
            func finish() {
                if let text = String(validating: field, as: UTF8.self) {
                    fields.append(text)
                } else {
                    if invalidUTF8Field == nil { invalidUTF8Field = fields.count }
                    fields.append(String(decoding: field, as: UTF8.self))
                }
                field.removeAll(keepingCapacity: true)
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
                            offset += 1
                            field.append(byte)
                        } else {
                            quoted = false
                        }
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): quoted = true
                case delimiter: finish()
                case UInt8(ascii: "\r"): continue
                case UInt8(ascii: "\n"):
                    line += 1
                    finish()
                    return (fields, startLine, startOffset)
                default: field.append(byte)
                }
            }
            if quoted { throw ImportError(description: "line \(startLine): a quoted field is not closed before the end of the file") }
            finish()
            return (fields, startLine, startOffset)
        }
    }

    /// Every row of `input`, with the first invalid field of each, or the error's text.
    static func rows<S>(_ scanner: inout S, next: (inout S) throws -> (fields: [String], line: Int, offset: Int)?, invalid: (S) -> Int?) -> [String] {
        var rows: [String] = []
        do {
            while let row = try next(&scanner) {
                rows.append("\(row.fields) line \(row.line) offset \(row.offset) invalid \(invalid(scanner).map(String.init) ?? "-")")
            }
        } catch {
            rows.append("error \(error)")
        }
        return rows
    }

    @Test("rows, fields, lines, offsets and invalid fields are those of the byte-by-byte reading, on 20,000 seeded random inputs")
    func sameAsReference() {
        let alphabet: [[UInt8]] = [
            Array("a".utf8), Array("bc".utf8), Array("é".utf8), Array("€".utf8), [0xFF], [0xC3], Array(",".utf8), Array(";".utf8),
            Array("\"".utf8), Array("\"\"".utf8), Array("\n".utf8), Array("\r\n".utf8), Array("\r".utf8), Array(" ".utf8),
        ]
        var random = SeededGenerator(seed: 15)
        for round in 0..<20_000 {
            var input: [UInt8] = []
            for _ in 0..<Int(random.next() % 40) { input += alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let delimiter = round % 2 == 0 ? UInt8(ascii: ",") : UInt8(ascii: ";")
            var reference = Reference(bytes: input, delimiter: delimiter)
            let expected = Self.rows(&reference, next: { try $0.next() }, invalid: { $0.invalidUTF8Field })
            let actual = input.withUnsafeBytes { raw in
                var scanner = CSVScanner(raw, delimiter: delimiter)
                return Self.rows(&scanner, next: { try $0.next() }, invalid: { $0.invalidUTF8Field })
            }
            #expect(actual == expected, "input \(input)")
            if actual != expected { return }
        }
    }
}
