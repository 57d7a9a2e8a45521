import EventLog

/// Writes the compact binary payload of a domain event: little-endian fixed
/// integers, LEB128 lengths, UTF-8 strings, maps with sorted keys (so that equal
/// events give equal bytes). `docs/FORMAT.md` lists each event's fields.
struct PayloadWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func write(_ value: UInt16) { bytes.appendLittleEndianInteger(value) }

    mutating func write(_ value: Int64) { bytes.appendLittleEndianInteger(value) }

    /// An unsigned LEB128 integer.
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func write(_ value: String) {
        let utf8 = value.utf8
        writeVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    mutating func write(_ value: Timestamp) { write(value.microseconds) }

    mutating func write(_ value: Timestamp?) {
        write(value != nil)
        if let value { write(value) }
    }

    mutating func write(_ values: [String]) {
        writeVarint(UInt64(values.count))
        for value in values { write(value) }
    }

    mutating func write(_ map: [String: String]) {
        writeVarint(UInt64(map.count))
        for key in map.keys.sorted() {
            write(key)
            write(map[key]!)
        }
    }
}

/// Reads what `PayloadWriter` wrote, in place, or throws a ``DeskError`` naming
/// the event type and the byte offset. Valid only while `bytes` is.
struct PayloadReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// The event type being read, for error messages.
    let eventType: String

    init(_ bytes: UnsafeRawBufferPointer, eventType: String) {
        self.bytes = bytes
        self.eventType = eventType
    }

    /// Whether every byte was read.
    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(DeskError) -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else {
            throw DeskError(.malformedEvent, "\(eventType) payload ends at byte \(bytes.count), needed \(count) more at byte \(offset)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func readUInt8() throws(DeskError) -> UInt8 {
        guard offset < bytes.count else {
            throw DeskError(.malformedEvent, "\(eventType) payload ends at byte \(bytes.count), needed 1 more at byte \(offset)")
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readBool() throws(DeskError) -> Bool {
        let byte = try readUInt8()
        guard byte <= 1 else { throw DeskError(.malformedEvent, "\(eventType) payload has \(byte) for a flag at byte \(offset - 1)") }
        return byte == 1
    }

    mutating func readUInt16() throws(DeskError) -> UInt16 {
        UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self))
    }

    mutating func readInt64() throws(DeskError) -> Int64 {
        Int64(littleEndian: try take(8).loadUnaligned(as: Int64.self))
    }

    mutating func readVarint() throws(DeskError) -> UInt64 {
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

    mutating func readString() throws(DeskError) -> String {
        let count = try readVarint()
        guard count <= UInt64(bytes.count) else {
            throw DeskError(.malformedEvent, "\(eventType) payload claims a \(count)-byte string at byte \(offset)")
        }
        return String(decoding: try take(Int(count)), as: UTF8.self)
    }

    mutating func readOptionalString() throws(DeskError) -> String? {
        try readBool() ? try readString() : nil
    }

    mutating func readTimestamp() throws(DeskError) -> Timestamp { Timestamp(microseconds: try readInt64()) }

    mutating func readOptionalTimestamp() throws(DeskError) -> Timestamp? {
        try readBool() ? try readTimestamp() : nil
    }

    mutating func readStrings() throws(DeskError) -> [String] {
        let count = try readVarint()
        guard count <= UInt64(bytes.count) else { throw DeskError(.malformedEvent, "\(eventType) payload claims \(count) strings at byte \(offset)") }
        var values: [String] = []
        for _ in 0..<count { values.append(try readString()) }
        return values
    }

    mutating func readMap() throws(DeskError) -> [String: String] {
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
    mutating func readEnum<T: RawRepresentable<UInt8>>(_ type: T.Type, field: String) throws(DeskError) -> T {
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
