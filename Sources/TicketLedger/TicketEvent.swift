public import EventLog

/// Every event of a ticket's or a problem's life, as TicketLedger records it.
///
/// The cases with large payloads are `indirect`, so that the common events stay
/// small to copy.
///
/// Each case has an event type name (``typeName``) and a payload schema version
/// (``schemaVersion``); ``TicketEventCodec`` turns them into the log's payload
/// bytes and back, upcasting older schema versions.
public enum TicketEvent: Sendable, Hashable {
    // Registration and classification.
    indirect case registered(Registered)
    indirect case classified(Classified)
    indirect case reprioritised(Reprioritised)
    // Routing.
    case assigned(Assigned)
    indirect case escalated(Escalated)
    // Work.
    case workStarted(agent: String)
    case suspended(reason: SuspensionReason, note: String)
    case resumed
    case commentAdded(visibility: CommentVisibility, text: String)
    case workLogged(agent: String, minutes: UInt32)
    case contactLogged(channel: Channel, inbound: Bool, handleSeconds: UInt32)
    indirect case slaAttached(SLAAttached)
    // Outcome.
    case resolved(Resolved)
    case reopened(reason: String)
    case closed(code: String)
    case cancelled(reason: String)
    case merged(into: String)
    case satisfactionRecorded(score: UInt8, comment: String)
    // Links.
    case linked(kind: LinkKind, target: String)
    case unlinked(kind: LinkKind, target: String)
    // Problem streams.
    indirect case problemOpened(ProblemOpened)
    case rootCauseFound(description: String, configurationItem: String?)
    case knownErrorRecorded(description: String, workaround: String)
    case problemClosed(resolution: String)
    // An activity of an imported log that matches nothing above, kept by name.
    case activityRecorded(name: String)
    // Ledger metadata (stream `$desk`): the desk's name and organisation.
    /// The desk's name and model, and the TicketLedger version that wrote the
    /// description (`TicketLedgerVersion.current`; empty in schema 1, which had none).
    case deskDescribed(name: String, model: DeskModel, libraryVersion: String)
    // Personal data (stream `$desk`); neither event carries any.
    /// From here on the ledger's personal fields are sealed per data subject
    /// (``PersonalData``) with `scheme` (`aes-gcm-hmac-siv/1`).
    case personalDataProtected(scheme: String)
    /// The key of data subject `subject` (its ``SubjectID``, in hexadecimal) was
    /// destroyed: its personal fields read as erased from then on.
    case subjectForgotten(subject: String)

    /// A ticket registered at the single point of contact.
    public struct Registered: Sendable, Hashable {
        public var number: String
        public var kind: TicketKind
        public var channel: Channel
        public var caller: String
        public var client: ClientRef
        public var title: String
        public var category: String
        public var service: String
        public var configurationItems: [String]
        public var impact: Impact
        public var urgency: Urgency
        public var priority: Priority
        public var matrixVersion: UInt16

        public init(
            number: String, kind: TicketKind, channel: Channel, caller: String, client: ClientRef, title: String,
            category: String, service: String, configurationItems: [String], impact: Impact, urgency: Urgency,
            priority: Priority, matrixVersion: UInt16
        ) {
            self.number = number
            self.kind = kind
            self.channel = channel
            self.caller = caller
            self.client = client
            self.title = title
            self.category = category
            self.service = service
            self.configurationItems = configurationItems
            self.impact = impact
            self.urgency = urgency
            self.priority = priority
            self.matrixVersion = matrixVersion
        }
    }

    /// Category, service or configuration items changed: old and new, with a reason.
    public struct Classified: Sendable, Hashable {
        public var oldCategory: String, newCategory: String
        public var oldService: String, newService: String
        public var oldConfigurationItems: [String], newConfigurationItems: [String]
        public var reason: String

        public init(
            oldCategory: String, newCategory: String, oldService: String, newService: String,
            oldConfigurationItems: [String], newConfigurationItems: [String], reason: String
        ) {
            self.oldCategory = oldCategory
            self.newCategory = newCategory
            self.oldService = oldService
            self.newService = newService
            self.oldConfigurationItems = oldConfigurationItems
            self.newConfigurationItems = newConfigurationItems
            self.reason = reason
        }
    }

    /// Impact, urgency or priority changed: old and new, the matrix version, a reason.
    public struct Reprioritised: Sendable, Hashable {
        public var oldImpact: Impact, newImpact: Impact
        public var oldUrgency: Urgency, newUrgency: Urgency
        public var oldPriority: Priority, newPriority: Priority
        public var matrixVersion: UInt16
        public var reason: String

        public init(
            oldImpact: Impact, newImpact: Impact, oldUrgency: Urgency, newUrgency: Urgency, oldPriority: Priority,
            newPriority: Priority, matrixVersion: UInt16, reason: String
        ) {
            self.oldImpact = oldImpact
            self.newImpact = newImpact
            self.oldUrgency = oldUrgency
            self.newUrgency = newUrgency
            self.oldPriority = oldPriority
            self.newPriority = newPriority
            self.matrixVersion = matrixVersion
            self.reason = reason
        }
    }

    /// Assigned (or reassigned) to a group, optionally an agent, on a support line.
    public struct Assigned: Sendable, Hashable {
        public var group: String
        public var line: SupportLine
        public var department: Department?
        public var agent: String?
        public var reason: String

        public init(group: String, line: SupportLine, department: Department? = nil, agent: String? = nil, reason: String = "") {
            self.group = group
            self.line = line
            self.department = department
            self.agent = agent
            self.reason = reason
        }
    }

    /// Escalated: functionally (to a higher line or a specialist group, which
    /// takes the ticket) or hierarchically (management informed; the ticket stays).
    public struct Escalated: Sendable, Hashable {
        public var kind: EscalationKind
        public var fromLine: SupportLine
        public var toLine: SupportLine
        /// The group taking the ticket (functional), or the manager informed (hierarchical).
        public var to: String
        public var department: Department?
        public var reason: String

        public init(kind: EscalationKind, fromLine: SupportLine, toLine: SupportLine, to: String, department: Department? = nil, reason: String) {
            self.kind = kind
            self.fromLine = fromLine
            self.toLine = toLine
            self.to = to
            self.department = department
            self.reason = reason
        }
    }

    /// Response and resolution targets, with the due times computed when attached.
    public struct SLAAttached: Sendable, Hashable, Codable {
        public var policy: String
        public var calendar: String
        public var responseTargetSeconds: Int64
        public var resolutionTargetSeconds: Int64
        public var responseDue: Timestamp
        public var resolutionDue: Timestamp

        public init(policy: String, calendar: String, responseTargetSeconds: Int64, resolutionTargetSeconds: Int64, responseDue: Timestamp, resolutionDue: Timestamp) {
            self.policy = policy
            self.calendar = calendar
            self.responseTargetSeconds = responseTargetSeconds
            self.resolutionTargetSeconds = resolutionTargetSeconds
            self.responseDue = responseDue
            self.resolutionDue = resolutionDue
        }
    }

    /// Resolved: a resolution code, at which line, fix or workaround.
    public struct Resolved: Sendable, Hashable, Codable {
        public var code: String
        public var line: SupportLine
        public var kind: ResolutionKind
        public var note: String

        public init(code: String, line: SupportLine, kind: ResolutionKind = .fix, note: String = "") {
            self.code = code
            self.line = line
            self.kind = kind
            self.note = note
        }
    }

    /// A problem record opened (ITIL problem management).
    public struct ProblemOpened: Sendable, Hashable {
        public var number: String
        public var title: String
        public var category: String
        public var service: String
        public var configurationItems: [String]

        public init(number: String, title: String, category: String, service: String, configurationItems: [String]) {
            self.number = number
            self.title = title
            self.category = category
            self.service = service
            self.configurationItems = configurationItems
        }
    }

    /// The event type name stored in the record.
    public var typeName: String {
        switch self {
        case .registered: "TicketRegistered"
        case .classified: "TicketClassified"
        case .reprioritised: "TicketReprioritised"
        case .assigned: "TicketAssigned"
        case .escalated: "TicketEscalated"
        case .workStarted: "WorkStarted"
        case .suspended: "TicketSuspended"
        case .resumed: "TicketResumed"
        case .commentAdded: "CommentAdded"
        case .workLogged: "WorkLogged"
        case .contactLogged: "ContactLogged"
        case .slaAttached: "SLAAttached"
        case .resolved: "TicketResolved"
        case .reopened: "TicketReopened"
        case .closed: "TicketClosed"
        case .cancelled: "TicketCancelled"
        case .merged: "TicketMerged"
        case .satisfactionRecorded: "SatisfactionRecorded"
        case .linked: "TicketLinked"
        case .unlinked: "TicketUnlinked"
        case .problemOpened: "ProblemOpened"
        case .rootCauseFound: "RootCauseFound"
        case .knownErrorRecorded: "KnownErrorRecorded"
        case .problemClosed: "ProblemClosed"
        case .activityRecorded: "ActivityRecorded"
        case .deskDescribed: "DeskDescribed"
        case .personalDataProtected: "PersonalDataProtected"
        case .subjectForgotten: "SubjectForgotten"
        }
    }

    /// Whether the event is the ledger's metadata (stream `$desk`: the desk's
    /// description, personal-data protection, subjects forgotten), stamped with
    /// the present when written: it says nothing of the desk's tickets or time.
    public var isLedgerMetadata: Bool {
        switch self {
        case .deskDescribed, .personalDataProtected, .subjectForgotten: true
        default: false
        }
    }

    /// The payload schema version this library writes for the case.
    public var schemaVersion: UInt16 {
        switch self {
        case .satisfactionRecorded: 2  // v1 had no comment
        case .deskDescribed: 2  // v1 had no library version
        default: 1
        }
    }
}

/// A domain event with the custom attributes an embedding service attaches.
public struct DeskEvent: Sendable, Hashable {
    /// What happened.
    public var body: TicketEvent
    /// A small map of custom attributes (kept sorted in the payload).
    public var attributes: [String: String]

    public init(_ body: TicketEvent, attributes: [String: String] = [:]) {
        self.body = body
        self.attributes = attributes
    }
}
