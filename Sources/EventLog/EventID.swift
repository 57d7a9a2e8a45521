import Crypto

/// A 16-byte identifier: of an event (the idempotency key of an append), or of a
/// correlation or causation.
///
/// Identifiers made by ``make(unixMilliseconds:)`` follow the UUID version 7 layout: the first
/// 48 bits are milliseconds since the Unix epoch, so identifiers made one after
/// another sort roughly in time order, which keeps the ledger's id index compact.
public struct EventID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The first eight bytes, big-endian.
    public let high: UInt64
    /// The last eight bytes, big-endian.
    public let low: UInt64

    /// The all-zero identifier; the record format uses it for "none".
    public static let zero = EventID(high: 0, low: 0)

    /// Creates an identifier from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an identifier from exactly 16 bytes, or returns `nil`.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == 16 else { return nil }
        let fast: (UInt64, UInt64)? = bytes.withContiguousStorageIfAvailable { buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            return (UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if let (high, low) = fast {
            self.init(high: high, low: low)
            return
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// Parses 32 hexadecimal digits, with or without the UUID dashes.
    public init?(_ text: String) {
        let digits = text.utf8.filter { $0 != UInt8(ascii: "-") }
        guard digits.count == 32 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let hi = Self.nibble(digits[index]), let lo = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// The identifier of the `index`th event of a command carried out under the
    /// idempotency key `key`: the same key and index always give the same id, so
    /// a retried append is recognised as stored (the UUID version 8 layout: the
    /// first 16 bytes of SHA-256 of a fixed label, the key and the index, with
    /// the version and variant bits set).
    public static func derived(fromIdempotencyKey key: String, index: Int) -> EventID {
        var hasher = SHA256()
        hasher.update(data: Array("TicketLedger idempotency key\u{0}".utf8) + Array(key.utf8) + [0] + Array(String(index).utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x80
        bytes[8] = bytes[8] & 0x3F | 0x80
        return EventID(bytes: bytes)!
    }

    /// A new random identifier in the UUID version 7 layout.
    ///
    /// - Parameter unixMilliseconds: the time part; defaults to the current time.
    public static func make(unixMilliseconds: UInt64 = Timestamp.now().unixMilliseconds) -> EventID {
        var generator = SystemRandomNumberGenerator()
        return make(unixMilliseconds: unixMilliseconds, using: &generator)
    }

    /// A new identifier in the UUID version 7 layout whose random part comes from
    /// `generator`, so that seeded generators give reproducible identifiers.
    public static func make<G: RandomNumberGenerator>(unixMilliseconds: UInt64, using generator: inout G) -> EventID {
        let randomA = generator.next() as UInt64
        let randomB = generator.next() as UInt64
        let high = (unixMilliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (randomA & 0x0FFF)
        let low = (randomB & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return EventID(high: high, low: low)
    }

    /// The 16 bytes, most significant first.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            result[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            result[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        return result
    }

    /// The identifier in the lowercase UUID text form (8-4-4-4-12).
    public var description: String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var out = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[out] = UInt8(ascii: "-")
                    out += 1
                }
                let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
                buffer[out] = digits.utf8Start[Int(byte >> 4)]
                buffer[out + 1] = digits.utf8Start[Int(byte & 0x0F)]
                out += 2
            }
            return 36
        }
    }

    /// Runs `body` over the 16 bytes without allocating.
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var value = (high.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: &value, body)
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
