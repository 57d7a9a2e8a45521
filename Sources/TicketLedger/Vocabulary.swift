/// What a ticket is (ITIL): an incident (something broke) or a service request
/// (something is asked for). Problems have their own streams.
public enum TicketKind: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case incident = 1
    case serviceRequest = 2

    /// The prefix of its ticket numbers: `INC`, `REQ`.
    public var numberPrefix: String { self == .incident ? "INC" : "REQ" }
    public var description: String { self == .incident ? "incident" : "service request" }
}

/// How the request reached the single point of contact.
public enum Channel: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case phone = 1, email, webPortal, chat, walkIn, monitoring, other

    public var description: String {
        switch self {
        case .phone: "phone"
        case .email: "e-mail"
        case .webPortal: "web portal"
        case .chat: "chat"
        case .walkIn: "walk-in"
        case .monitoring: "monitoring"
        case .other: "other"
        }
    }
}

/// How much of the business is affected (ITIL impact).
public enum Impact: UInt8, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case high = 1, medium, low
    public static func < (lhs: Impact, rhs: Impact) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How soon it must be dealt with (ITIL urgency).
public enum Urgency: UInt8, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case high = 1, medium, low
    public static func < (lhs: Urgency, rhs: Urgency) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The support line a ticket is on.
public enum SupportLine: UInt8, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// The operator / call centre that registers, solves what it can and escalates the rest.
    case firstLine = 1
    /// The second line, which brings in specialists.
    case secondLine = 2
    /// A specialist group of a department (system administration, POS terminals, ...).
    case specialist = 3

    public static func < (lhs: SupportLine, rhs: SupportLine) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String {
        switch self {
        case .firstLine: "1st line"
        case .secondLine: "2nd line"
        case .specialist: "specialist"
        }
    }
}

/// The department of a specialist group; the seed's and any the user defines.
public struct Department: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }

    public static let systemAdministration = Department("system administration")
    public static let posTerminals = Department("POS terminals")
    public static let specialSoftware = Department("special software")
    public static let specialHardware = Department("special hardware")
    public static let billing = Department("billing")

    public var description: String { rawValue }
}

/// Who the caller works for: an internal department or an outsourced customer organisation.
public struct ClientRef: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Internal or outsourced.
    public enum Kind: UInt8, Sendable, Hashable, Codable {
        case internalDepartment = 1
        case outsourcedCustomer = 2
    }

    public var id: String
    public var kind: Kind

    public init(_ id: String, kind: Kind = .internalDepartment) {
        self.id = id
        self.kind = kind
    }

    public var description: String { id }
}

/// Why work stopped.
public enum SuspensionReason: UInt8, Sendable, Hashable, CaseIterable {
    case awaitingCaller = 1, awaitingVendor, awaitingChange, awaitingProblem, other
}

/// Functional (to a higher line or a specialist group) or hierarchical (management informed).
public enum EscalationKind: UInt8, Sendable, Hashable {
    case functional = 1
    case hierarchical = 2
}

/// A public reply (the caller sees it) or an internal note.
public enum CommentVisibility: UInt8, Sendable, Hashable {
    case publicReply = 1
    case internalNote = 2
}

/// What a ticket is linked to.
public enum LinkKind: UInt8, Sendable, Hashable, Codable, CaseIterable {
    case problem = 1, knownError, change, ticket
}

/// Whether a resolution removed the cause or worked around it.
public enum ResolutionKind: UInt8, Sendable, Hashable, Codable {
    case fix = 1
    case workaround = 2
}

/// A ticket's status, derived by `evolve` from its events.
public enum TicketStatus: UInt8, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case new = 1, assigned, inProgress, suspended, resolved, closed, cancelled, merged

    /// Open statuses are in a queue; resolved waits for closure or reopening.
    public var isOpen: Bool { [.new, .assigned, .inProgress, .suspended].contains(self) }
    /// Closed, cancelled and merged tickets take no more work.
    public var isFinal: Bool { [.closed, .cancelled, .merged].contains(self) }

    public var description: String {
        switch self {
        case .new: "new"
        case .assigned: "assigned"
        case .inProgress: "in progress"
        case .suspended: "suspended"
        case .resolved: "resolved"
        case .closed: "closed"
        case .cancelled: "cancelled"
        case .merged: "merged"
        }
    }
}

/// A priority from 1 (critical) down to the matrix's lowest.
public typealias Priority = UInt8

/// Derives priority from impact and urgency. The default is ITIL's 3 × 3 giving
/// 1 ... 5; a desk may configure its own (its version is recorded on each event
/// that uses it).
public struct PriorityMatrix: Sendable, Hashable {
    /// Recorded on events, so history shows which matrix decided.
    public var version: UInt16
    /// `table[impact - 1][urgency - 1]`.
    public var table: [[Priority]]

    /// A matrix; `table` must be 3 × 3 (impact by urgency).
    ///
    /// - Throws: ``DeskError/Code/invalidArgument`` when it is not.
    public init(version: UInt16, table: [[Priority]]) throws(DeskError) {
        guard table.count == 3, table.allSatisfy({ $0.count == 3 }) else {
            throw DeskError(.invalidArgument, "a priority matrix is 3 × 3 (impact by urgency); this one has rows of \(table.map(\.count))")
        }
        self.init(checked: version, table)
    }

    private init(checked version: UInt16, _ table: [[Priority]]) {
        self.version = version
        self.table = table
    }

    /// ITIL's matrix: impact and urgency both high give 1; both low give 5.
    public static let itil = PriorityMatrix(checked: 1, [[1, 2, 3], [2, 3, 4], [3, 4, 5]])

    /// The priority of an impact and an urgency.
    public func priority(impact: Impact, urgency: Urgency) -> Priority {
        table[Int(impact.rawValue) - 1][Int(urgency.rawValue) - 1]
    }

    /// The priorities this matrix can give.
    public var priorities: ClosedRange<Priority> {
        let all = table.flatMap { $0 }
        return all.min()!...all.max()!
    }
}

/// How the service desk is organised (ITIL): recorded as ledger metadata.
public enum DeskModel: UInt8, Sendable, Hashable, Codable, CaseIterable {
    /// One desk for the whole organisation.
    case centralised = 1
    /// Desks at or near each site.
    case local = 2
    /// Agents in several places acting as one desk.
    case virtual = 3
}
