import Foundation

/// Reads RFC 4180 CSV from a file in 1 MiB chunks, row by row, and knows the
/// line each row starts on (quoted fields may span lines).
///
/// Hand-written because the CSV package in the mirror (yaslab/CSV.swift 2.5.2)
/// reports an error at the end of every file on Linux and gives no line numbers.
struct CSVFileReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var index = 0
    private var atEnd = false
    /// The line the next row starts on (1-based).
    private(set) var line = 1

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImportError(description: "\(path): cannot open it")
        }
        self.handle = handle
    }

    private mutating func nextByte() -> UInt8? {
        if index == buffer.count {
            guard !atEnd else { return nil }
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty {
                atEnd = true
                return nil
            }
            buffer = Array(chunk)
            index = 0
        }
        defer { index += 1 }
        return buffer[index]
    }

    private mutating func peek() -> UInt8? {
        guard let byte = nextByte() else { return nil }
        index -= 1
        return byte
    }

    /// The next row's fields and the line it starts on, or nil at the end.
    /// Throws for a quote left open at the end of the file.
    mutating func next() throws -> (fields: [String], line: Int)? {
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var sawAnything = false
        while let byte = nextByte() {
            sawAnything = true
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if peek() == UInt8(ascii: "\"") {
                        _ = nextByte()
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
            case UInt8(ascii: "\""):
                quoted = true
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\n"):
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return (fields, start)
            default:
                field.append(byte)
            }
        }
        if quoted { throw ImportError(description: "line \(start): a quoted field is not closed before the end of the file") }
        guard sawAnything else { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        return (fields, start)
    }
}
