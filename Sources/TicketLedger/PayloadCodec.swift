public import EventLog

/// Writes the compact binary payload of a domain event: little-endian fixed
/// integers, LEB128 lengths, UTF-8 strings, maps with sorted keys (so that equal
/// events give equal bytes).
public struct PayloadWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write(_ value: UInt16) { bytes.appendLittleEndianInteger(value) }

    public mutating func write(_ value: Int64) { bytes.appendLittleEndianInteger(value) }

    /// An unsigned LEB128 integer.
    public mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    public mutating func write(_ value: String) {
        let utf8 = value.utf8
        writeVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ value: Timestamp) { write(value.microseconds) }

    public mutating func write(_ value: Timestamp?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ values: [String]) {
        writeVarint(UInt64(values.count))
        for value in values { write(value) }
    }

    public mutating func write(_ map: [String: String]) {
        writeVarint(UInt64(map.count))
        for key in map.keys.sorted() {
            write(key)
            write(map[key]!)
        }
    }
}

/// Reads what ``PayloadWriter`` wrote, or throws a ``DeskError`` naming the
/// event type and the byte offset.
public struct PayloadReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// The event type being read, for error messages.
    public let eventType: String

    /// A reader over `bytes`, the payload of an event of type `eventType`.
    public init(_ bytes: [UInt8], eventType: String) {
        self.bytes = bytes
        self.eventType = eventType
    }

    /// Whether every byte was read.
    public var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(DeskError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw DeskError(.malformedEvent, "\(eventType) payload ends at byte \(bytes.count), needed \(count) more at byte \(offset)")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    public mutating func readUInt8() throws(DeskError) -> UInt8 { try take(1).first! }

    public mutating func readBool() throws(DeskError) -> Bool {
        let byte = try readUInt8()
        guard byte <= 1 else { throw DeskError(.malformedEvent, "\(eventType) payload has \(byte) for a flag at byte \(offset - 1)") }
        return byte == 1
    }

    public mutating func readUInt16() throws(DeskError) -> UInt16 {
        try take(2).reversed().reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func readInt64() throws(DeskError) -> Int64 {
        Int64(bitPattern: try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    public mutating func readVarint() throws(DeskError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            guard shift < 64 else { throw DeskError(.malformedEvent, "\(eventType) payload has an over-long integer at byte \(offset)") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    public mutating func readString() throws(DeskError) -> String {
        let count = try readVarint()
        guard count <= UInt64(bytes.count) else {
            throw DeskError(.malformedEvent, "\(eventType) payload claims a \(count)-byte string at byte \(offset)")
        }
        return String(decoding: try take(Int(count)), as: UTF8.self)
    }

    public mutating func readOptionalString() throws(DeskError) -> String? {
        try readBool() ? try readString() : nil
    }

    public mutating func readTimestamp() throws(DeskError) -> Timestamp { Timestamp(microseconds: try readInt64()) }

    public mutating func readOptionalTimestamp() throws(DeskError) -> Timestamp? {
        try readBool() ? try readTimestamp() : nil
    }

    public mutating func readStrings() throws(DeskError) -> [String] {
        let count = try readVarint()
        guard count <= UInt64(bytes.count) else { throw DeskError(.malformedEvent, "\(eventType) payload claims \(count) strings at byte \(offset)") }
        var values: [String] = []
        for _ in 0..<count { values.append(try readString()) }
        return values
    }

    public mutating func readMap() throws(DeskError) -> [String: String] {
        let count = try readVarint()
        guard count <= UInt64(bytes.count) else { throw DeskError(.malformedEvent, "\(eventType) payload claims \(count) attributes at byte \(offset)") }
        var map: [String: String] = [:]
        for _ in 0..<count {
            let key = try readString()
            map[key] = try readString()
        }
        return map
    }

    /// Reads a one-byte enumeration value, or throws naming the field.
    public mutating func readEnum<T: RawRepresentable<UInt8>>(_ type: T.Type, field: String) throws(DeskError) -> T {
        let raw = try readUInt8()
        guard let value = T(rawValue: raw) else {
            throw DeskError(.malformedEvent, "\(eventType) payload has unknown \(field) \(raw) at byte \(offset - 1)")
        }
        return value
    }
}

extension [UInt8] {
    mutating func appendLittleEndianInteger<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
