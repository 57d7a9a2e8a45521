/// An error of the ticket domain: a code to switch on and a message that names
/// the ticket, the command or the event concerned.
public struct DeskError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The command is not allowed in the ticket's current state (resolving a
        /// closed ticket, reopening one never resolved, ...). Nothing was written.
        public static let invalidTransition = Code("invalidTransition")
        /// An argument is out of range (a priority outside the matrix, a score outside 1...5, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// No ticket or problem with that number.
        public static let notFound = Code("notFound")
        /// A stored payload does not decode.
        public static let malformedEvent = Code("malformedEvent")
        /// Other writers kept changing the ticket; the command was retried and gave up.
        public static let conflict = Code("conflict")
        /// The event log failed; see the underlying error.
        public static let storage = Code("storage")

        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// A readable explanation.
    public var message: String
    /// The log's error, for ``Code/storage`` and ``Code/conflict``.
    public var underlying: String?

    public init(_ code: Code, _ message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(message): \($0)" } ?? message
    }
}
