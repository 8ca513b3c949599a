import CareCore
import FluentKit
import Foundation
import SQLKit

/// Fills a database with a large, believable history so the speed targets can be measured at scale
/// (100,000 conversations and 1,000,000 messages in issue 2).
///
/// It bypasses the ingestion pipeline on purpose: the pipeline stores about a thousand messages a second,
/// which would make a million take a quarter of an hour. Rows are written with multi-row INSERTs in large
/// transactions instead, with the same columns, folded search text and index maintenance (the FTS triggers
/// fire as usual) that the pipeline would produce. The teams and agents come from the demo data, which
/// must be loaded first, so a person can sign in and look at the result.
public struct BulkSeeder: Sendable {
    public struct Summary: Sendable {
        public let customers: Int
        public let conversations: Int
        public let messages: Int
    }

    let store: CareStore

    public init(store: CareStore) { self.store = store }

    /// Adds `conversations` conversations with `messages` messages in all (spread evenly), from
    /// one customer per five conversations, over the two years before now.
    public func seed(conversations: Int, messages: Int, progress: @Sendable (String) -> Void = { _ in }) async throws -> Summary {
        guard conversations > 0, messages >= conversations else {
            throw CareError.invalid(code: "bench.invalid_size", "Give at least one conversation and one message per conversation.")
        }
        let teams = try await Team.query(on: store.db).all()
        guard !teams.isEmpty else {
            throw CareError.invalid(code: "bench.no_demo", "Load the demo data first (caredesk demo): the seeder uses its teams and agents.")
        }
        var teamAgents: [Int: [Int]] = [:]
        for member in try await TeamMember.query(on: store.db).all() {
            teamAgents[member.$team.id, default: []].append(member.$agent.id)
        }
        let teamIds = teams.compactMap(\.id)
        let customerCount = max(1, conversations / 5)
        var rng = DemoRandom(seed: 0xB16_DA7A)
        let now = store.clock.now()
        let span: TimeInterval = 2 * 365 * 86_400
        let firstCustomer = try await nextId(of: "customers")
        var customerLanguages: [UILanguage] = []
        var customerNames: [String] = []
        try await inBatches(of: customerCount, size: 2_000) { range in
            var customerRows: [[any SQLExpression]] = []
            var identityRows: [[any SQLExpression]] = []
            for i in range {
                let language = rng.pick([UILanguage.el, .el, .hr, .hr, .en])
                let name = BulkText.name(language, &rng)
                let email = "bulk\(i)@\(language == .hr ? "example.hr" : language == .el ? "example.gr" : "example.com")"
                customerLanguages.append(language)
                customerNames.append(name)
                let created = now.addingTimeInterval(-span * rng.double())
                customerRows.append([SQLBind(firstCustomer + i), SQLBind(name), SQLBind(language.rawValue), SQLBind("{}"),
                                     SQLBind(SearchFolding.fold("\(name) \(email)")), SQLBind(created), SQLBind(created)])
                identityRows.append([SQLBind(firstCustomer + i), SQLBind(IdentityKind.email.rawValue), SQLBind(email), SQLBind(created)])
            }
            return [
                BulkInsert(table: "customers", columns: ["id", "name", "language", "attributes", "search_text", "created_at", "updated_at"],
                           rows: customerRows),
                BulkInsert(table: "identities", columns: ["customer_id", "kind", "address", "created_at"], rows: identityRows),
            ]
        }
        progress("\(customerCount) customers")

        let firstConversation = try await nextId(of: "conversations")
        let perConversation = messages / conversations
        var written = 0
        let channels: [Channel] = [.email, .email, .email, .chat, .chat, .phone, .whatsapp, .sms, .messenger, .telegram, .webForm]
        try await inBatches(of: conversations, size: 500) { range in
            var conversationRows: [[any SQLExpression]] = []
            var messageRows: [[any SQLExpression]] = []
            for i in range {
                let id = firstConversation + i
                let customerIndex = rng.int(0...(customerCount - 1))
                let language = customerLanguages[customerIndex]
                let teamId = language == .hr ? teamIds.last! : teamIds.first!
                let assignee: Int? = rng.chance(0.2) ? nil : teamAgents[teamId].flatMap { $0.isEmpty ? nil : rng.pick($0) }
                // Most history is finished; a recent slice is still being worked on.
                let age = rng.double()
                let status: ConversationStatus = age < 0.03 ? rng.pick([.open, .open, .pending]) : rng.pick([.resolved, .closed])
                let priority = rng.pick([Priority.low, .normal, .normal, .normal, .high, .urgent])
                let kind = rng.pick(ConversationKind.allCases)
                let channel = rng.pick(channels)
                let count = perConversation + (i < messages % conversations ? 1 : 0)
                let start = now.addingTimeInterval(-span * age - 3_600)
                let subject = BulkText.subject(language, &rng)
                var last = start
                for n in 0..<count {
                    let inbound = n % 2 == 0
                    let at = start.addingTimeInterval(Double(n) * 300 + rng.double() * 120).roundedToMilliseconds
                    last = at
                    let text = inbound ? BulkText.customerMessage(language, &rng) : BulkText.agentReply(language, &rng)
                    messageRows.append([
                        SQLBind(id), SQLBind(inbound ? MessageDirection.inbound.rawValue : MessageDirection.outbound.rawValue),
                        SQLBind(channel.rawValue), SQLBind(inbound ? nil : assignee),
                        SQLBind(text), SQLBind("[]"),
                        SQLBind(inbound ? DeliveryStatus.none.rawValue : DeliveryStatus.sent.rawValue),
                        SQLBind(SearchFolding.fold(text)), SQLBind(at),
                    ])
                }
                let waiting = status == .open && count % 2 == 1 ? last : nil
                conversationRows.append([
                    SQLBind(id), SQLBind(firstCustomer + customerIndex), SQLBind(subject), SQLBind(status.rawValue),
                    SQLBind(priority.rawValue), SQLBind(priority.rank), SQLBind(kind.rawValue), SQLBind(channel.rawValue),
                    SQLBind(teamId), SQLBind(assignee), SQLBind(""), SQLBind(SearchFolding.fold(subject)),
                    SQLBind(last), SQLBind(waiting), SQLBind(count), SQLBind(start.roundedToMilliseconds), SQLBind(last),
                ])
            }
            written += messageRows.count
            if range.upperBound % 10_000 == 0 { progress("\(range.upperBound) conversations, \(written) messages") }
            return [
                BulkInsert(table: "conversations",
                           columns: ["id", "customer_id", "subject", "status", "priority", "priority_rank", "kind", "channel", "team_id",
                                     "assignee_id", "tag_list", "search_text", "last_message_at", "waiting_since", "message_count",
                                     "created_at", "updated_at"],
                           rows: conversationRows),
                BulkInsert(table: "messages",
                           columns: ["conversation_id", "direction", "channel", "author_agent_id", "text", "attachments",
                                     "delivery_status", "search_text", "created_at"],
                           rows: messageRows),
            ]
        }
        if store.isPostgres {
            // Ids were given explicitly; move the sequences past them so later inserts do not collide.
            for table in ["customers", "conversations"] {
                try await store.sql.raw("SELECT setval(pg_get_serial_sequence('\(unsafeRaw: table)', 'id'), (SELECT max(id) FROM \(ident: table)))").run()
            }
        }
        // ANALYZE writes statistics tables, so on SQLite it goes through the writer like any write.
        try await store.write { db in try await (db as! any SQLDatabase).raw("ANALYZE").run() }
        return Summary(customers: customerCount, conversations: conversations, messages: written)
    }

    private func nextId(of table: String) async throws -> Int {
        let row = try await store.sql.raw("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM \(ident: table)").first()
        return try row?.decode(column: "next", as: Int.self) ?? 1
    }

    /// Builds the rows for consecutive ranges of `0..<total` and writes each range in one transaction.
    private func inBatches(of total: Int, size: Int, _ rowsFor: (Range<Int>) throws -> [BulkInsert]) async throws {
        var start = 0
        while start < total {
            let range = start..<min(start + size, total)
            let inserts = try rowsFor(range)
            try await store.write { db in
                let sql = db as! any SQLDatabase
                for insert in inserts {
                    // Stay well under SQLite's limit of bound variables per statement.
                    let perStatement = max(1, 20_000 / insert.columns.count)
                    for chunk in stride(from: 0, to: insert.rows.count, by: perStatement) {
                        try await sql.insert(into: insert.table).columns(insert.columns)
                            .rows(insert.rows[chunk..<min(chunk + perStatement, insert.rows.count)]).run()
                    }
                }
            }
            start = range.upperBound
        }
    }
}

struct BulkInsert: Sendable {
    let table: String
    let columns: [String]
    let rows: [[any SQLExpression]]
}

/// Short, varied texts in the three languages: enough different words that search has something to do.
enum BulkText {
    static let greekFirst = ["Γιώργος", "Μαρία", "Νίκος", "Ελένη", "Κώστας", "Σοφία", "Δημήτρης", "Αικατερίνη", "Παναγιώτης", "Βασιλική"]
    static let greekLast = ["Παπαδόπουλος", "Οικονόμου", "Νικολάου", "Γεωργίου", "Αλεξίου", "Μακρής", "Δημητρίου", "Κωνσταντίνου"]
    static let croatianFirst = ["Ivan", "Ana", "Luka", "Marija", "Josip", "Ivana", "Marko", "Đurđa", "Željko", "Petra"]
    static let croatianLast = ["Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Šimić", "Vuković"]
    static let englishFirst = ["Sarah", "James", "Emily", "Oliver", "Grace", "Thomas", "Hannah", "Daniel"]
    static let englishLast = ["Thompson", "O'Connor", "Walker", "Evans", "Hughes", "Wright", "Clarke"]

    static func name(_ language: UILanguage, _ rng: inout DemoRandom) -> String {
        switch language {
        case .el: "\(rng.pick(greekFirst)) \(rng.pick(greekLast))"
        case .hr: "\(rng.pick(croatianFirst)) \(rng.pick(croatianLast))"
        case .en: "\(rng.pick(englishFirst)) \(rng.pick(englishLast))"
        }
    }

    static let topics: [UILanguage: [String]] = [
        .el: ["παραγγελία", "επιστροφή χρημάτων", "τιμολόγιο", "παράδοση", "εγγύηση", "συνδρομή", "κωδικός πρόσβασης", "παράπονο", "ακύρωση", "αλλαγή διεύθυνσης"],
        .hr: ["narudžba", "povrat novca", "račun", "dostava", "jamstvo", "pretplata", "lozinka", "prigovor", "otkazivanje", "promjena adrese"],
        .en: ["order", "refund", "invoice", "delivery", "warranty", "subscription", "password", "complaint", "cancellation", "change of address"],
    ]
    static let openings: [UILanguage: [String]] = [
        .el: ["Καλησπέρα σας,", "Γεια σας,", "Καλημέρα,", "Αγαπητή εξυπηρέτηση,"],
        .hr: ["Poštovani,", "Dobar dan,", "Pozdrav,", "Dobro jutro,"],
        .en: ["Hello,", "Hi there,", "Good morning,", "Dear support,"],
    ]
    static let problems: [UILanguage: [String]] = [
        .el: ["έχω πρόβλημα με {t} αριθμός {n}.", "θα ήθελα πληροφορίες για {t} {n}.", "περιμένω ακόμα απάντηση για {t} {n}.",
              "η {t} {n} δεν έχει φτάσει ακόμη.", "μπορείτε να ελέγξετε {t} {n};"],
        .hr: ["imam problem s {t} broj {n}.", "trebam informacije o {t} {n}.", "još čekam odgovor za {t} {n}.",
              "{t} {n} još nije stigla.", "možete li provjeriti {t} {n}?"],
        .en: ["I have a problem with {t} number {n}.", "I would like information about {t} {n}.", "I am still waiting for an answer on {t} {n}.",
              "the {t} {n} has not arrived yet.", "could you check {t} {n}?"],
    ]
    static let replies: [UILanguage: [String]] = [
        .el: ["Ευχαριστούμε για το μήνυμα. Ελέγξαμε {t} {n} και σας ενημερώνουμε σύντομα.", "Η {t} {n} τακτοποιήθηκε. Χρειάζεστε κάτι άλλο;"],
        .hr: ["Hvala na poruci. Provjerili smo {t} {n} i javit ćemo se uskoro.", "{t} {n} je riješena. Trebate li još nešto?"],
        .en: ["Thank you for your message. We checked {t} {n} and will get back to you shortly.", "The {t} {n} is sorted. Anything else we can do?"],
    ]

    static func fill(_ template: String, _ language: UILanguage, _ rng: inout DemoRandom) -> String {
        template.replacingOccurrences(of: "{t}", with: rng.pick(topics[language]!))
            .replacingOccurrences(of: "{n}", with: String(rng.int(10_000...99_999)))
    }

    static func subject(_ language: UILanguage, _ rng: inout DemoRandom) -> String {
        let topic = rng.pick(topics[language]!)
        return "\(topic.prefix(1).uppercased())\(topic.dropFirst()) \(rng.int(10_000...99_999))"
    }

    static func customerMessage(_ language: UILanguage, _ rng: inout DemoRandom) -> String {
        "\(rng.pick(openings[language]!)) \(fill(rng.pick(problems[language]!), language, &rng))"
    }

    static func agentReply(_ language: UILanguage, _ rng: inout DemoRandom) -> String {
        fill(rng.pick(replies[language]!), language, &rng)
    }
}
