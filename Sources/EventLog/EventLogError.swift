/// An error of the event log: a code to switch on, a message that names the input
/// and the position, and, for LMDB failures, LMDB's own return code and text.
public struct EventLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The stream's version is not what the append expected; see ``EventLogError/actualVersion``.
        public static let wrongExpectedVersion = Code("wrongExpectedVersion")
        /// Some, not all, of a batch's event ids are stored already, or an id is
        /// stored in another stream.
        public static let duplicateEventID = Code("duplicateEventID")
        /// An argument is out of range (an empty batch, an empty stream id, a type too long...).
        public static let invalidArgument = Code("invalidArgument")
        /// The ledger was opened read-only.
        public static let readOnly = Code("readOnly")
        /// The ledger is closed.
        public static let closed = Code("closed")
        /// A stored record does not decode: the ledger's file is damaged.
        public static let corruptRecord = Code("corruptRecord")
        /// The map could not grow further (``EventLogConfiguration/maximumMapSize``) or the disk is full.
        public static let storageFull = Code("storageFull")
        /// The ledger is already open in this process (LMDB forbids a second handle).
        public static let alreadyOpen = Code("alreadyOpen")
        /// The ledger's format is newer than this library or not a ledger.
        public static let incompatibleFormat = Code("incompatibleFormat")
        /// The storage server cannot be reached, the connection to it was lost, or it
        /// did not answer in time (a PostgreSQL ledger). Nothing the call did was
        /// acknowledged; the next call connects again. An append whose connection
        /// was lost while it committed may be stored: retrying it with the same
        /// event ids is safe (it is then reported as already stored).
        public static let unavailable = Code("unavailable")
        /// An LMDB or system call failed; see ``EventLogError/lmdbReturnCode``.
        public static let storage = Code("storage")

        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// A readable explanation naming the ledger, stream or position concerned.
    public var message: String
    /// LMDB's (or the system's) return code, when an LMDB call failed.
    public var lmdbReturnCode: Int32?
    /// `mdb_strerror`'s text for ``lmdbReturnCode``.
    public var lmdbMessage: String?
    /// With ``Code/wrongExpectedVersion``: the stream's actual version (0: no stream).
    public var actualVersion: UInt64?
    /// The position concerned, when there is one.
    public var position: UInt64?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, lmdbReturnCode: Int32? = nil, lmdbMessage: String? = nil,
        actualVersion: UInt64? = nil, position: UInt64? = nil
    ) {
        self.code = code
        self.message = message
        self.lmdbReturnCode = lmdbReturnCode
        self.lmdbMessage = lmdbMessage
        self.actualVersion = actualVersion
        self.position = position
    }

    public var description: String {
        var text = message
        if let lmdbReturnCode, let lmdbMessage {
            text += " (LMDB \(lmdbReturnCode): \(lmdbMessage))"
        }
        return text
    }
}
