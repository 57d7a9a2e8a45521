import Foundation

/// Parses RFC 4180 CSV in place from a buffer (an import maps the file), row by
/// row, and knows the line and byte offset each row starts at (quoted fields
/// may span lines), so that rows can be read again later by offset.
///
/// Hand-written because the CSV package in the mirror (yaslab/CSV.swift 2.5.2)
/// reports an error at the end of every file on Linux and gives neither line
/// numbers nor offsets.
struct CSVScanner {
    let bytes: UnsafeRawBufferPointer
    /// Where the next row starts.
    var offset = 0
    /// The line the next row starts on (1-based).
    var line = 1
    /// The field separator: `,`, `;` or a tab.
    let delimiter: UInt8
    /// The first field of the last row read that is not valid UTF-8 (its text
    /// then holds replacement characters), nil when every field is.
    private(set) var invalidUTF8Field: Int?

    /// A scanner over `bytes`, past a UTF-8 byte-order mark if there is one. The
    /// delimiter is `delimiter` if given, else whichever of `,`, `;` and tab is most
    /// frequent outside quotes in the first line (`,` on a tie).
    init(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8? = nil) {
        self.bytes = bytes
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { offset = 3 }
        self.delimiter = delimiter ?? Self.detectDelimiter(bytes, from: offset)
    }

    static func detectDelimiter(_ bytes: UnsafeRawBufferPointer, from start: Int) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        var quoted = false
        var i = start
        while i < bytes.count, quoted || bytes[i] != 0x0A {
            if bytes[i] == 0x22 { quoted.toggle() } else if !quoted, counts[bytes[i]] != nil { counts[bytes[i]]! += 1 }
            i += 1
        }
        let best = [UInt8(0x2C), 0x3B, 0x09].max { counts[$0]! < counts[$1]! }!
        return counts[best]! > counts[0x2C]! ? best : 0x2C
    }

    /// The next row: its fields, the line and the offset it starts at; nil at
    /// the end. Throws for a quote left open at the end of the file.
    ///
    /// A field without quotes or lone carriage returns (most fields) is read
    /// in place; one with them byte by byte (a quote toggles quoting anywhere
    /// in a field, `""` in quotes is a quote, a carriage return outside quotes
    /// is dropped).
    mutating func next() throws -> (fields: [String], line: Int, offset: Int)? {
        guard offset < bytes.count else { return nil }
        let startLine = line
        let startOffset = offset
        var fields: [String] = []
        invalidUTF8Field = nil
        func add(_ raw: UnsafeRawBufferPointer, ascii: Bool) {
            let text = String(decoding: raw, as: UTF8.self)
            // Decoding keeps valid UTF-8 byte for byte and replaces what is not.
            if !ascii, invalidUTF8Field == nil, !text.utf8.elementsEqual(raw) { invalidUTF8Field = fields.count }
            fields.append(text)
        }
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        while true {
            var end = offset
            var high: UInt8 = 0
            while end < bytes.count {
                let byte = bytes[end]
                if byte == delimiter || byte == newline || byte == carriageReturn || byte == quote { break }
                high |= byte
                end += 1
            }
            let plain = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            // What ends the field: how many bytes to pass over, and whether the row ends too.
            let ending: (skip: Int, endsRow: Bool)? =
                if end == bytes.count { (0, true) }
                else if bytes[end] == delimiter { (1, false) }
                else if bytes[end] == newline { (1, true) }
                else if bytes[end] == carriageReturn, end + 1 < bytes.count, bytes[end + 1] == newline { (2, true) }
                else { nil }
            if let (skip, endsRow) = ending {
                add(plain, ascii: high < 0x80)
                offset = end + skip
                guard endsRow else { continue }
                if skip > 0 { line += 1 }
                return (fields, startLine, startOffset)
            }
            // A quote or a lone carriage return: this field byte by byte.
            var field = Array(plain)
            offset = end
            var quoted = false
            var atDelimiter = false
            scan: while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                if quoted {
                    if byte == quote {
                        if offset < bytes.count, bytes[offset] == quote {
                            offset += 1
                            field.append(byte)
                        } else {
                            quoted = false
                        }
                    } else {
                        if byte == newline { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case quote:
                    quoted = true
                case delimiter:
                    atDelimiter = true
                    break scan
                case carriageReturn:
                    continue
                case newline:
                    line += 1
                    break scan
                default:
                    field.append(byte)
                }
            }
            if quoted { throw ImportError(description: "line \(startLine): a quoted field is not closed before the end of the file") }
            field.withUnsafeBytes { add($0, ascii: false) }
            if atDelimiter { continue }
            // The row ends here: at a newline, or at the end of the file.
            return (fields, startLine, startOffset)
        }
    }

    /// The row that starts at `offset` (on `line`).
    func row(at offset: Int, line: Int) throws -> [String] {
        var scanner = self
        scanner.offset = offset
        scanner.line = line
        return try scanner.next()?.fields ?? []
    }
}
