import CareCore
import FluentKit
import Foundation

/// What `DemoData.load` created.
public struct DemoSummary: Sendable, Equatable {
    public let agents: Int
    public let teams: Int
    public let customers: Int
    public let conversations: Int
    /// Customer messages, agent replies and internal notes (system events not counted).
    public let messages: Int

    public init(agents: Int, teams: Int, customers: Int, conversations: Int, messages: Int) {
        self.agents = agents
        self.teams = teams
        self.customers = customers
        self.conversations = conversations
        self.messages = messages
    }
}

/// A believable help desk to try CareDesk with: two teams (Athens and Zagreb), seven agents, fifty
/// customers writing in Greek, Croatian and English, and about eighty conversations on every kind of
/// channel spread over the last thirty days.
///
/// Everything goes through the ordinary repositories and the ingestion pipeline, with a manual clock
/// set before each step, so the history looks exactly like one that really happened. The content is
/// deterministic (a seeded generator, not `random`), so every demo installation looks the same.
///
/// Agent replies are queued in the outbox like any reply and then marked sent at once: the demo's
/// addresses are fictitious (e-mail domains from RFC 2606, UK numbers from Ofcom's drama range) and
/// nothing should ever try to deliver them. Load the demo before the outbox worker starts.
public enum DemoData {
    /// The password of every demo agent; printed by the server so a person can sign in.
    public static let password = "caredesk-demo"
    public static let adminEmail = "admin@demo.caredesk.local"

    /// Loads the demo data unless the database already has customers (then returns nil). `passwordHash` is the
    /// bcrypt hash of `password` (the caller hashes; CareData has no crypto).
    public static func load(into store: CareStore, passwordHash: String) async throws -> DemoSummary? {
        guard try await Customer.query(on: store.db).count() == 0 else { return nil }
        var loader = DemoLoader(store: store, passwordHash: passwordHash)
        return try await loader.run()
    }

    /// How many conversations the demo creates.
    static let conversationCount = 80
    static let seed: UInt64 = 0xCA4E_DE5C_2025
}

// MARK: - Loading

struct DemoLoader {
    let store: CareStore
    let passwordHash: String
    let now: Date
    let clock: ManualClock
    let s: CareStore
    var rng = DemoRandom(seed: DemoData.seed)

    var teamIds: [DemoRegion: Int] = [:]
    var agents: [(seed: DemoAgentSeed, viewer: Viewer)] = []
    var customers: [(seed: DemoCustomerSeed, id: Int, identities: [IdentityKind: IdentityAddress], plan: String)] = []
    var messages = 0
    var externalCounter = 0

    init(store: CareStore, passwordHash: String) {
        self.store = store
        self.passwordHash = passwordHash
        self.now = store.clock.now()
        self.clock = ManualClock(now)
        self.s = store.with(clock: clock)
    }

    static let day: TimeInterval = 86_400

    mutating func run() async throws -> DemoSummary {
        try await createTeamsAndAgents()
        try await createCustomers()
        let plans = planConversations()
        for plan in plans {
            try await play(plan)
        }
        try await createChatWidgets()
        return DemoSummary(agents: agents.count, teams: teamIds.count, customers: customers.count,
                           conversations: plans.count, messages: messages)
    }

    /// One chat widget per team, open on weekdays in the team's time zone, embeddable anywhere; fixed keys so a
    /// developer can embed them in a local test page.
    mutating func createChatWidgets() async throws {
        guard let admin = agents.first(where: { $0.seed.role == .admin })?.viewer else { return }
        let weekdays = Array(repeating: [OpeningHours.Interval(start: 9 * 60, end: 17 * 60)], count: 5) + [[], []]
        let widgets: [(DemoRegion, String, String, String)] = [
            (.greece, "demo-gr", "Κατάστημα Demo", "Europe/Athens"),
            (.croatia, "demo-hr", "Trgovina Demo", "Europe/Zagreb"),
        ]
        for (region, key, name, zone) in widgets {
            _ = try await s.chat.createWidget(ChatWidgetSettings(
                name: name, teamId: teamIds[region], colour: region == .greece ? "#0d5eaf" : "#c8102e",
                greetings: [.en: "Hello! How can we help?", .el: "Γεια σας! Πώς μπορούμε να βοηθήσουμε;",
                            .hr: "Dobar dan! Kako vam možemo pomoći?"],
                openingHours: OpeningHours(timeZone: zone, days: weekdays)), publicKey: key, by: admin)
        }
    }

    // MARK: People

    mutating func createTeamsAndAgents() async throws {
        clock.set(now - 45 * Self.day)
        for region in [DemoRegion.greece, .croatia] {
            clock.advance(by: 60)
            teamIds[region] = try await s.agents.createTeam(name: region.teamName, by: nil).requireID()
        }
        var admin: Viewer?
        for seed in DemoAgentSeed.all {
            clock.advance(by: 300)
            let agent = try await s.agents.create(
                email: seed.email, name: seed.name, passwordHash: passwordHash, role: seed.role, language: seed.language,
                timeZone: seed.timeZone, teamIds: seed.regions.compactMap { teamIds[$0] }, by: admin)
            let viewer = try s.agents.viewer(for: agent)
            if seed.role == .admin { admin = viewer }
            agents.append((seed, viewer))
        }
    }

    mutating func createCustomers() async throws {
        let admin = agents[0].viewer
        clock.set(now - 40 * Self.day)
        var domainIndex = 0
        for (index, seed) in DemoCustomerSeed.all.enumerated() {
            clock.advance(by: 47)
            var identities: [IdentityKind: IdentityAddress] = [:]
            var phone: String?
            func phoneNumber(_ rng: inout DemoRandom) -> String {
                if let phone { return phone }
                let number: String
                switch seed.language {
                case .el: number = "+3069" + ["0", "3", "4", "5", "7", "8", "9"][rng.int(0...6)] + rng.digits(7)
                case .hr: number = "+3859" + ["1", "2", "5", "7", "8", "9"][rng.int(0...5)] + rng.digits(7)
                case .en: number = "+447700900" + rng.digits(3)
                }
                phone = number
                return number
            }
            for code in seed.contacts {
                switch code {
                case "e":
                    let domain = ["example.com", "example.net", "example.org"][domainIndex % 3]
                    domainIndex += 1
                    identities[.email] = try IdentityAddress.normalized(kind: .email, address: "\(seed.emailLocal)@\(domain)")
                case "p":
                    identities[.phone] = try IdentityAddress.normalized(kind: .phone, address: phoneNumber(&rng))
                case "w":
                    identities[.whatsapp] = try IdentityAddress.normalized(kind: .whatsapp, address: phoneNumber(&rng))
                case "c":
                    identities[.chatVisitor] = IdentityAddress(kind: .chatVisitor, address: "visitor-" + rng.hex(12))
                case "t":
                    identities[.telegram] = IdentityAddress(kind: .telegram, address: String(rng.int(100_000_000...1_999_999_999)))
                case "m":
                    identities[.messenger] = IdentityAddress(kind: .messenger, address: "2" + rng.digits(15))
                default:
                    preconditionFailure("unknown contact code \(code)")
                }
            }
            let planRoll = rng.double()
            let plan = planRoll < 0.55 ? "basic" : planRoll < 0.9 ? "premium" : "business"
            let cents = rng.int(1_500...480_000) * (plan == "basic" ? 1 : plan == "premium" ? 3 : 8)
            var attributes = [
                "city": seed.city,
                "plan": plan,
                "lifetime_spend": "\(cents / 100).\(String(format: "%02d", cents % 100))",
            ]
            if rng.chance(0.5) { attributes["customer_since"] = String(rng.int(2012...2024)) }
            let notes = index % 4 == 1 ? DemoText.render(DemoCustomerSeed.notes[seed.language]![(index / 4) % 4], vars: [:],
                                                         agent: DemoAgentSeed.all[0], language: seed.language,
                                                         customerFemale: seed.female, agentFemale: false) : nil
            let customer = try await s.customers.create(
                name: seed.name, language: index % 5 == 3 ? nil : seed.language, attributes: attributes, notes: notes,
                identities: seed.contacts.compactMap { code in
                    switch code {
                    case "e": identities[.email]
                    case "p": identities[.phone]
                    case "w": identities[.whatsapp]
                    case "c": identities[.chatVisitor]
                    case "t": identities[.telegram]
                    default: identities[.messenger]
                    }
                },
                by: admin)
            customers.append((seed, try customer.requireID(), identities, plan))
        }
    }

    // MARK: Planning

    struct Plan {
        let scenario: DemoScenario
        let customer: Int
        let channel: Channel
        let start: Date
    }

    func channels(of customer: Int) -> Set<Channel> {
        let kinds = customers[customer].identities.keys
        var result: Set<Channel> = [.inPerson]
        if kinds.contains(.email) { result.formUnion([.email, .webForm]) }
        if kinds.contains(.phone) { result.formUnion([.phone, .sms]) }
        if kinds.contains(.chatVisitor) { result.insert(.chat) }
        if kinds.contains(.whatsapp) { result.insert(.whatsapp) }
        if kinds.contains(.messenger) { result.insert(.messenger) }
        if kinds.contains(.telegram) { result.insert(.telegram) }
        return result
    }

    /// Chooses scenario, customer, channel and start time of every conversation. A customer has at most one
    /// conversation per chat-like channel, so the pipeline never continues the wrong one.
    mutating func planConversations() -> [Plan] {
        var plans: [Plan] = []
        var uses = [Int](repeating: 0, count: customers.count)
        let rank = rng.shuffled(Array(customers.indices))
        var taken = Set<String>()
        var order: [DemoScenario] = []
        while plans.count < DemoData.conversationCount {
            if order.isEmpty { order = rng.shuffled(DemoScenario.all) }
            let scenario = order.removeLast()
            let candidates = rank.sorted { uses[$0] < uses[$1] }
            for c in candidates {
                let usable = scenario.channels.filter { ch in
                    channels(of: c).contains(ch) && !(ch.continuesOpenConversation && taken.contains("\(c):\(ch.rawValue)"))
                }
                guard !usable.isEmpty else { continue }
                let channel = rng.pick(usable)
                taken.insert("\(c):\(channel.rawValue)")
                uses[c] += 1
                // Most conversations are recent, a few reach back a month; the newest is half an hour old.
                let u = rng.double()
                let age = 1_800 + u * u * (30 * Self.day - 1_800)
                plans.append(Plan(scenario: scenario, customer: c, channel: channel, start: now - age))
                break
            }
        }
        return plans.sorted { $0.start < $1.start }
    }

    // MARK: Playing one conversation

    func agentsOf(_ region: DemoRegion) -> [(seed: DemoAgentSeed, viewer: Viewer)] {
        agents.filter { $0.seed.role == .agent && $0.seed.regions == [region] }
    }

    var supervisor: Viewer { agents.first { $0.seed.role == .supervisor }!.viewer }

    mutating func play(_ plan: Plan) async throws {
        let customer = customers[plan.customer]
        let language = customer.seed.language
        let region = customer.seed.region
        let script = plan.scenario.text[language]!
        let team = teamIds[region]!
        let (agentSeed, agent) = rng.pick(agentsOf(region))
        let age = now.timeIntervalSince(plan.start)

        // How far the conversation got: older ones mostly ran their course.
        let n = script.steps.count
        let k: Int
        if age > 8 * Self.day {
            k = rng.chance(0.75) ? n : rng.int(2...n)
        } else if age < Self.day {
            k = rng.int(1...min(n, 3))
        } else {
            k = rng.int(1...n)
        }
        // Steps that would lie in the future have not happened yet.
        var times = timeline(of: Array(script.steps.prefix(k)), channel: plan.channel, start: plan.start)
        while times.count > 1 && times[times.count - 1] > now - 120 { times.removeLast() }
        let steps = Array(script.steps.prefix(times.count))

        let vars = variables(language: language, region: region)
        func render(_ text: String) -> String {
            DemoText.render(text, vars: vars, agent: agentSeed, language: language,
                            customerFemale: customer.seed.female, agentFemale: agentSeed.female)
        }
        let subject = render(script.subject)
        var priority = plan.scenario.priority
        if priority == .normal && customer.plan != "basic" && rng.chance(0.4) { priority = .high }
        var tags = plan.scenario.tags
        if customer.plan == "business" { tags.append("vip") }
        let sender = plan.channel == .inPerson ? nil : customer.identities[IdentityKind.natural(for: plan.channel)]
        let subjectOnMessage = plan.channel == .email || plan.channel == .webForm

        // The first customer message opens the conversation.
        clock.set(times[0])
        let conversationId: Int
        var assigned = false
        if plan.channel == .inPerson {
            // Someone at the counter writes down what the customer says.
            // Tags are set by an update: `create` stores the tag links but not the conversation's tag list.
            let c = try await s.conversations.create(customerId: customer.id, subject: subject, channel: .inPerson,
                                                     priority: priority, kind: plan.scenario.kind, teamId: team,
                                                     assigneeId: agent.agentId, by: agent)
            conversationId = try c.requireID()
            try await s.conversations.update(conversationId, ConversationChanges(tags: tags), by: agent)
            assigned = true
        } else {
            let result = try await s.ingestion.ingest(inbound(plan.channel, sender: sender, name: customer.seed.name,
                                                              conversationId: nil, subject: subjectOnMessage ? subject : nil,
                                                              text: render(firstText(steps)), at: times[0]))
            conversationId = result.conversationId
        }
        if plan.channel == .inPerson {
            _ = try await s.ingestion.ingest(inbound(.inPerson, sender: nil, name: nil, conversationId: conversationId,
                                                     subject: nil, text: render(firstText(steps)), at: times[0]))
        }
        messages += 1

        let triage = ConversationChanges(subject: subjectOnMessage ? nil : subject, priority: priority,
                                         kind: plan.scenario.kind, teamId: .some(team), tags: tags)
        for (i, step) in steps.enumerated().dropFirst() {
            if !assigned && !step.isCustomer {
                // Before the first staff step someone takes the conversation.
                clock.set(times[i] - min(120, times[i].timeIntervalSince(times[i - 1]) / 2))
                let roll = rng.double()
                if roll < 0.6 {
                    var changes = triage
                    changes.assigneeId = .some(agent.agentId)
                    try await s.conversations.update(conversationId, changes, by: supervisor)
                } else if roll < 0.85 {
                    var changes = triage
                    changes.assigneeId = .some(agent.agentId)
                    try await s.conversations.update(conversationId, changes, by: agent)
                } else {
                    // Triage only; the first reply takes ownership.
                    try await s.conversations.update(conversationId, triage, by: supervisor)
                }
                assigned = true
            }
            clock.set(times[i])
            switch step.role {
            case .customer:
                _ = try await s.ingestion.ingest(inbound(plan.channel, sender: sender, name: customer.seed.name,
                                                         conversationId: conversationId, subject: nil,
                                                         text: render(step.text), at: times[i]))
            case .agent:
                let written = try await s.conversations.addAgentMessage(to: conversationId, direction: .outbound,
                                                                        text: render(step.text), by: agent)
                try await markSent(written.message)
            case .note:
                try await s.conversations.addAgentMessage(to: conversationId, direction: .note, text: render(step.text), by: agent)
            }
            messages += 1
        }

        let last = times[times.count - 1]
        let limit = now - 60
        if !assigned {
            // Nobody has answered yet: half of these were at least triaged.
            if rng.chance(0.5) {
                clock.set(min(last + Double(rng.int(60...900)), limit))
                try await s.conversations.update(conversationId, triage, by: supervisor)
            }
            return
        }

        // Where it stands now.
        // Resolved conversations close after a few quiet days; unanswered questions to the customer after a week.
        let lastWord = steps.last { !$0.isNote }!
        let quiet = now.timeIntervalSince(last)
        let status: ConversationStatus
        let when: Date
        if steps.count == n {
            status = quiet > 10 * Self.day ? .closed : .resolved
            when = status == .closed ? last + Double(rng.int(2...4)) * Self.day : last + Double(rng.int(300...3_600))
        } else if lastWord.isCustomer {
            return  // the customer is waiting: open
        } else {
            status = quiet > 12 * Self.day ? .closed : .pending
            when = status == .closed ? last + 7 * Self.day : last + Double(rng.int(20...120))
        }
        clock.set(max(last + 1, min(when, limit)))
        try await s.conversations.update(conversationId, ConversationChanges(status: status), by: agent)
    }

    func firstText(_ steps: [DemoStep]) -> String {
        precondition(steps[0].isCustomer, "a demo conversation starts with the customer")
        return steps[0].text
    }

    mutating func inbound(_ channel: Channel, sender: IdentityAddress?, name: String?, conversationId: Int?,
                          subject: String?, text: String, at date: Date) -> InboundMessage {
        externalCounter += 1
        let externalId = channel == .email ? "<demo.\(externalCounter).\(rng.hex(8))@mail.example.com>" : "demo-\(externalCounter)"
        return InboundMessage(channel: channel, sender: sender, senderName: name, externalId: externalId,
                              conversationId: conversationId, subject: subject, text: text, receivedAt: date)
    }

    /// Demo replies are history: they count as delivered and the outbox never tries to send them.
    func markSent(_ message: Message) async throws {
        let id = try message.requireID()
        for item in try await OutboxItem.query(on: s.db).filter(\.$messageId == id).all() where item.state == .pending {
            try await s.outbox.markSent(item)
        }
    }

    /// Times of the steps: chat-like channels answer in minutes, e-mail in hours; some texts need days between.
    mutating func timeline(of steps: [DemoStep], channel: Channel, start: Date) -> [Date] {
        let realtime = !(channel == .email || channel == .webForm)
        var times = [start]
        for (i, step) in steps.enumerated().dropFirst() {
            var gap: Int
            switch (step.role, realtime) {
            case (.note, _): gap = rng.int(60...1_200)
            case (.agent, true): gap = steps[i - 1].isCustomer ? rng.int(40...900) : rng.int(60...600)
            case (.agent, false): gap = rng.int(1_200...25_000)
            case (.customer, true): gap = rng.int(60...3_600)
            case (.customer, false): gap = rng.int(1_800...72_000)
            }
            if step.after > 0 { gap = max(gap, Int(step.after * Self.day) + rng.int(-7_200...7_200)) }
            times.append(times[times.count - 1] + Double(gap))
        }
        return times
    }

    /// Order numbers, amounts and the like for one conversation.
    mutating func variables(language: UILanguage, region: DemoRegion) -> [String: String] {
        let cents = rng.int(1_890...26_000)
        let euros = "\(cents / 100)", rest = String(format: "%02d", cents % 100)
        let country = region == .greece ? "GR" : "HR"
        return [
            "order": "#\(rng.int(40_000...98_999))",
            "tracking": "CD\(rng.digits(9))\(country)",
            "amount": language == .en ? "€\(euros).\(rest)" : "\(euros),\(rest) €",
            "booking": "BK-\(rng.int(10_000...99_999))",
            "invoice": "\(rng.int(2_100...2_999))-\(rng.digits(6))",
            "policy": "POL-\(rng.digits(7))",
            "code": rng.pick(["SPRING15", "WELCOME10", "SUMMER20", "HELLO15"]),
            "refund": "RF-\(rng.digits(8))",
            "claim": "\(rng.int(2_024_000...2_025_999))",
        ]
    }
}

// MARK: - A small deterministic generator (SplitMix64)

struct DemoRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// In [0, 1).
    mutating func double() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
    mutating func chance(_ p: Double) -> Bool { double() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    mutating func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(int(0...9))) }) }
    mutating func hex(_ n: Int) -> String { String((0..<n).map { _ in Array("0123456789abcdef")[int(0...15)] }) }

    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        guard a.count > 1 else { return a }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, int(0...i))
        }
        return a
    }
}

// MARK: - Text templates

enum DemoText {
    /// Fills `{order}`-style variables, `{agent}` (the agent's first name in the text's script) and grammatical
    /// gender: `{c:m|f}` by the customer's, `{a:m|f}` by the agent's (Croatian past tense, Greek adjectives).
    static func render(_ template: String, vars: [String: String], agent: DemoAgentSeed, language: UILanguage,
                       customerFemale: Bool, agentFemale: Bool) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let token = rest[rest.index(after: open)..<close]
            if token.hasPrefix("c:") || token.hasPrefix("a:") {
                let forms = token.dropFirst(2).split(separator: "|", omittingEmptySubsequences: false)
                let female = token.hasPrefix("c:") ? customerFemale : agentFemale
                out += forms[female && forms.count > 1 ? 1 : 0]
            } else if token == "agent" {
                out += language == .el ? agent.greekFirstName ?? agent.firstName : agent.firstName
            } else {
                out += vars[String(token)] ?? "{\(token)}"
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
