/// Who caused an event: a kind and an identifier meaningful to the embedding
/// service (a caller's e-mail, an agent's login, a system's name).
public struct ActorRef: Hashable, Sendable, CustomStringConvertible {
    /// The kind of actor, stored as one byte in the record.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The byte stored in the record.
        public let rawValue: UInt8
        /// A kind from its byte.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Not recorded.
        public static let unknown = Kind(rawValue: 0)
        /// The person who reported or requested (ITIL: the caller, the user).
        public static let caller = Kind(rawValue: 1)
        /// A service-desk agent or a specialist.
        public static let agent = Kind(rawValue: 2)
        /// An automated system: monitoring, an importer, a scheduler.
        public static let system = Kind(rawValue: 3)

        public var description: String {
            switch self {
            case .unknown: "unknown"
            case .caller: "caller"
            case .agent: "agent"
            case .system: "system"
            default: "kind-\(rawValue)"
            }
        }
    }

    /// The kind of actor.
    public var kind: Kind
    /// The actor's identifier; at most 65,535 bytes of UTF-8.
    public var id: String

    /// Creates an actor reference.
    public init(_ kind: Kind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    /// An actor that is not recorded.
    public static let unknown = ActorRef(.unknown, "")

    public var description: String { "\(kind):\(id)" }
}
