import CareCore
import CareData
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

@Suite("Ingestion pipeline")
struct IngestionTests {
    static func email(_ a: String) -> IdentityAddress { try! IdentityAddress.normalized(kind: .email, address: a) }

    @Test("first message creates customer, identity and conversation", arguments: TestDatabase.available)
    func firstContact(db: TestDatabase) async throws {
        try await withCareApp(db) { app, _ in
            let store = app.care.store
            let r = try await store.ingestion.ingest(InboundMessage(
                channel: .email, sender: Self.email("Maria.K@Example.gr"), senderName: "Μαρία Κ.", externalId: "<a1@example.gr>",
                subject: "Παράπονο για την παράδοση", text: "Η παραγγελία μου άργησε πολύ."))
            #expect(r.created && r.openedConversation)
            let customer = try await store.customers.find(r.customerId)
            #expect(customer.name == "Μαρία Κ.")
            #expect(customer.identities.map(\.address) == ["maria.k@example.gr"])
            let c = try await Conversation.find(r.conversationId, on: store.db)!
            #expect(c.subject == "Παράπονο για την παράδοση")
            #expect(c.status == .open && c.waitingSince != nil && c.messageCount == 1)
        }
    }

    @Test("the same channel message delivered twice is stored once", arguments: TestDatabase.available)
    func dedupe(db: TestDatabase) async throws {
        try await withCareApp(db) { app, _ in
            let store = app.care.store
            let m = InboundMessage(channel: .sms, sender: try IdentityAddress.normalized(kind: .phone, address: "+385 91 234 5678"),
                                   externalId: "SM123", text: "Trebam pomoć")
            // Deliveries racing each other, as a provider retrying a webhook would.
            let results = try await withThrowingTaskGroup(of: IngestionResult.self) { group in
                for _ in 0..<5 { group.addTask { try await store.ingestion.ingest(m) } }
                return try await group.reduce(into: [IngestionResult]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.messageId)).count == 1)
            #expect(results.filter(\.created).count == 1)
            let stored = try await Message.query(on: store.db).filter(\.$directionRaw == "inbound").count()
            #expect(stored == 1)
        }
    }

    @Test("chat continues the open conversation; e-mail without thread headers opens a new one", arguments: TestDatabase.available)
    func conversationChoice(db: TestDatabase) async throws {
        try await withCareApp(db) { app, _ in
            let store = app.care.store
            let visitor = IdentityAddress(kind: .chatVisitor, address: "v-1")
            let a = try await store.ingestion.ingest(InboundMessage(channel: .chat, sender: visitor, text: "Hello"))
            let b = try await store.ingestion.ingest(InboundMessage(channel: .chat, sender: visitor, text: "Anyone there?"))
            #expect(a.conversationId == b.conversationId && !b.openedConversation)

            let e1 = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: Self.email("a@b.hr"), externalId: "<m1@b.hr>", subject: "Račun", text: "Prvi"))
            let e2 = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: Self.email("a@b.hr"), externalId: "<m2@b.hr>", subject: "Drugo pitanje", text: "Drugi"))
            #expect(e1.conversationId != e2.conversationId)
            let e3 = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: Self.email("a@b.hr"), externalId: "<m3@b.hr>",
                                                                     threadHints: ["<m1@b.hr>"], subject: "Re: Račun", text: "Odgovor"))
            #expect(e3.conversationId == e1.conversationId)
        }
    }

    @Test("a thread hint never joins another customer's conversation", arguments: TestDatabase.available)
    func threadIsolation(db: TestDatabase) async throws {
        try await withCareApp(db) { app, _ in
            let store = app.care.store
            let mine = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: Self.email("one@x.gr"), externalId: "<x1@x.gr>", text: "A"))
            let other = try await store.ingestion.ingest(InboundMessage(channel: .email, sender: Self.email("two@y.gr"), externalId: "<y1@y.gr>",
                                                                        threadHints: ["<x1@x.gr>"], text: "B"))
            #expect(other.conversationId != mine.conversationId)
        }
    }

    @Test("a customer writing again reopens a resolved conversation", arguments: TestDatabase.available)
    func reopen(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let store = app.care.store
            let r = try await store.ingestion.ingest(InboundMessage(channel: .whatsapp, sender: IdentityAddress(kind: .whatsapp, address: "+306912345678"), text: "Γεια"))
            try await store.conversations.update(r.conversationId, ConversationChanges(status: .resolved), by: try f.viewer(f.admin, store))
            let again = try await store.ingestion.ingest(InboundMessage(channel: .whatsapp, sender: IdentityAddress(kind: .whatsapp, address: "+306912345678"),
                                                                        conversationId: r.conversationId, text: "Ακόμα ένα θέμα"))
            let c = try await Conversation.find(again.conversationId, on: store.db)!
            #expect(c.status == .open)
            let events = try await store.conversations.thread(of: c.id!).compactMap(\.eventKind)
            #expect(events.filter { $0 == "status_changed" }.count == 2)
        }
    }

    @Test("bad input is refused with a clear error and nothing stored")
    func refusals() async throws {
        try await withCareApp { app, _ in
            let store = app.care.store
            await #expect(throws: CareError.self) {
                try await store.ingestion.ingest(InboundMessage(channel: .api, sender: Self.email("x@y.gr"), text: "   "))
            }
            let first = try await store.ingestion.ingest(InboundMessage(channel: .api, sender: Self.email("x@y.gr"), text: "hi"))
            do {
                _ = try await store.ingestion.ingest(InboundMessage(channel: .api, sender: Self.email("intruder@z.gr"),
                                                                   conversationId: first.conversationId, text: "let me in"))
                Issue.record("a stranger joined someone else's conversation")
            } catch let e as CareError {
                #expect(e.code == "message.sender_mismatch")
            }
            #expect(try await Message.query(on: store.db).filter(\.$directionRaw == "inbound").count() == 1)
        }
    }

    @Test("events are published after the commit")
    func publishes() async throws {
        try await withCareApp { app, _ in
            let stream = app.care.bus.subscribe()
            let r = try await app.care.store.ingestion.ingest(InboundMessage(channel: .api, sender: Self.email("e@v.gr"), text: "hi"))
            var seen: [CareEvent.Kind] = []
            for await e in stream {
                seen.append(e.kind)
                if e.kind == .messageCreated {
                    #expect(e.messageId == r.messageId)
                    break
                }
            }
            #expect(seen == [.conversationCreated, .messageCreated])
        }
    }
}
