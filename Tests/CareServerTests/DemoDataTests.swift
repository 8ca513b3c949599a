import CareCore
@testable import CareData
import FluentKit
import FluentSQLiteDriver
import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("Demo data")
struct DemoDataTests {
    private static func isGreek(_ s: String) -> Bool {
        s.unicodeScalars.contains { (0x0370...0x03FF).contains($0.value) || (0x1F00...0x1FFF).contains($0.value) }
    }

    private static func isCroatian(_ s: String) -> Bool {
        s.contains { "čćžšđČĆŽŠĐ".contains($0) }
    }

    @Test func loadsABelievableHelpDeskOnce() async throws {
        try await withSQLiteStore { store in
            let summary = try #require(try await DemoData.load(into: store, passwordHash: "$2b$12$demo-hash"))
            let now = store.clock.now()

            // Counts, as reported and as stored.
            #expect(summary.teams >= 2)
            #expect(summary.agents >= 5)
            #expect(summary.customers >= 45)
            #expect(summary.conversations >= 70)
            #expect(summary.messages >= summary.conversations)
            #expect(try await Team.query(on: store.db).count() == summary.teams)
            #expect(try await store.agents.count() == summary.agents)
            #expect(try await Customer.query(on: store.db).count() == summary.customers)
            #expect(try await Conversation.query(on: store.db).count() == summary.conversations)
            let messages = try await Message.query(on: store.db).all()
            #expect(messages.filter { $0.direction != .event }.count == summary.messages)

            // Teams and agents people can sign in as.
            let teamNames = Set(try await store.agents.teams().map(\.name))
            #expect(teamNames.isSuperset(of: ["Εξυπηρέτηση Αθήνα", "Podrška Zagreb"]))
            let admin = try #require(try await store.agents.find(email: DemoData.adminEmail))
            #expect(admin.role == .admin)
            let agents = try await store.agents.all()
            #expect(agents.allSatisfy { $0.passwordHash == "$2b$12$demo-hash" })
            #expect(agents.contains { $0.role == .supervisor })
            #expect(Set(agents.map(\.timeZone)) == ["Europe/Athens", "Europe/Zagreb"])
            // A chat widget per team, ready to try.
            let widgets = try await store.chat.widgets()
            #expect(Set(widgets.map(\.publicKey)) == ["demo-gr", "demo-hr"] && widgets.allSatisfy { $0.teamId != nil && $0.openingHours != nil })

            // Customers with several kinds of identity, attributes, notes and languages.
            let customers = try await Customer.query(on: store.db).with(\.$identities).all()
            #expect(customers.allSatisfy { (1...2).contains($0.identities.count) })
            let kinds = Set(customers.flatMap { $0.identities.map(\.kind) })
            #expect(kinds.isSuperset(of: [.email, .phone, .chatVisitor, .whatsapp, .telegram, .messenger]))
            let phones = customers.flatMap(\.identities).filter { $0.kind == .phone }.map(\.address)
            #expect(phones.contains { $0.hasPrefix("+30") } && phones.contains { $0.hasPrefix("+385") })
            #expect(customers.contains { $0.name == "Γιώργος Παπαδόπουλος" })
            #expect(customers.contains { $0.name == "Đurđa Kovačević" })
            #expect(customers.allSatisfy { $0.attributes["city"] != nil && $0.attributes["plan"] != nil })
            #expect(customers.contains { $0.notes != nil } && customers.contains { $0.notes == nil })
            #expect(Set(customers.compactMap(\.language)) == ["el", "hr", "en"])
            #expect(customers.contains { $0.language == nil })

            // Conversations on many channels, in every status, kind, and some nobody has taken yet.
            let conversations = try await Conversation.query(on: store.db).all()
            #expect(Set(conversations.map(\.channel)).count >= 7)
            #expect(Set(conversations.map(\.status)) == Set(ConversationStatus.allCases))
            #expect(Set(conversations.map(\.kind)) == Set(ConversationKind.allCases))
            #expect(Set(conversations.map(\.priority)).count >= 3)
            #expect(conversations.contains { $0.$assignee.id == nil })
            #expect(conversations.contains { $0.$assignee.id != nil })
            #expect(conversations.contains { !$0.tagNames.isEmpty })
            #expect(conversations.allSatisfy { (1...6).contains($0.messageCount) })

            // Customer messages, replies and notes in Greek, Croatian and English.
            let inbound = messages.filter { $0.direction == .inbound }.map(\.text)
            let outbound = messages.filter { $0.direction == .outbound }.map(\.text)
            #expect(inbound.contains(where: Self.isGreek) && outbound.contains(where: Self.isGreek))
            #expect(inbound.contains(where: Self.isCroatian) && outbound.contains(where: Self.isCroatian))
            #expect(inbound.contains { $0.contains("Thank") || $0.contains("thank") })
            #expect(messages.contains { $0.direction == .note })
            #expect(!messages.contains { $0.text.contains("{") }, "every placeholder is filled in")

            // History over the last month, in order within each conversation, and nothing left to send.
            #expect(messages.allSatisfy { $0.createdAt <= now && $0.createdAt > now.addingTimeInterval(-31 * 86_400) })
            #expect(messages.contains { $0.createdAt < now.addingTimeInterval(-20 * 86_400) })
            #expect(messages.contains { $0.createdAt > now.addingTimeInterval(-86_400) })
            for conversation in conversations {
                let thread = try await store.conversations.thread(of: conversation.requireID())
                let ids = thread.map { $0.id! }
                #expect(ids == ids.sorted(), "thread of \(conversation.subject) is in time order")
            }
            #expect(try await store.outbox.pending().isEmpty)
            #expect(messages.filter { $0.direction == .outbound }.allSatisfy { $0.deliveryStatus == .sent })

            // Folded search finds demo customers in either script.
            let viewer = Viewer(agentId: try admin.requireID(), name: "x", role: .admin, teamIds: [])
            let greek = try await store.search.search("παπαδοπουλος", for: viewer)
            #expect(greek.customers.contains { $0.name == "Γιώργος Παπαδόπουλος" })
            let croatian = try await store.search.search("zeljko simic", for: viewer)
            #expect(croatian.customers.contains { $0.name == "Željko Šimić" })

            // Loading again changes nothing.
            #expect(try await DemoData.load(into: store, passwordHash: "other") == nil)
            #expect(try await Customer.query(on: store.db).count() == summary.customers)
            #expect(try await Conversation.query(on: store.db).count() == summary.conversations)
        }
    }

    @Test func isDeterministic() async throws {
        var runs: [[String]] = []
        for _ in 0..<2 {
            try await withSQLiteStore { store in
                _ = try await DemoData.load(into: store, passwordHash: "h")
                let messages = try await Message.query(on: store.db).sort(\.$id).all()
                runs.append(messages.map { "\($0.createdAt.timeIntervalSince1970) \($0.directionRaw) \($0.text)" })
            }
        }
        #expect(runs[0] == runs[1])
    }
}
