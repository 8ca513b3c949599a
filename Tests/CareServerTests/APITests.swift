import CareAPI
import CareCore
import CareData
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

/// The REST API at /api/v1, through HTTP, with responses decoded into the types generated from openapi.yaml
/// (so a response missing a required property or carrying an unknown enum value fails the test).
@Suite("REST API")
struct APITests {
    typealias S = Components.Schemas

    // MARK: Customers

    @Test("customers: create, read, update, list with a search text", arguments: TestDatabase.available)
    func customerLifecycle(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.adminToken)
            let created = try await api.post("/customers", [
                "name": "Γιώργος Παπαδόπουλος", "language": "el", "attributes": ["city": "Θεσσαλονίκη"],
                "notes": "Prefers Contact By Phone", "identities": [["kind": "email", "address": " George.P@Example.GR "],
                                                                    ["kind": "phone", "address": "+30 694 123 4567"]],
            ], expect: .created, as: S.Customer.self)
            #expect(created.name == "Γιώργος Παπαδόπουλος" && created.language == .el)
            #expect(created.attributes.additionalProperties == ["city": "Θεσσαλονίκη"])
            #expect(created.identities.map(\.address) == ["george.p@example.gr", "+306941234567"])
            #expect(created.identities.allSatisfy { $0.customerId == created.id })

            let read = try await api.get("/customers/\(created.id)", as: S.Customer.self)
            #expect(read == created)

            // PATCH changes only what is sent; an empty string clears the notes.
            let renamed = try await api.patch("/customers/\(created.id)", ["name": "Giorgos Papadopoulos", "notes": ""], as: S.Customer.self)
            #expect(renamed.name == "Giorgos Papadopoulos" && renamed.notes == nil)
            #expect(renamed.language == .el && renamed.attributes == created.attributes && renamed.identities == created.identities)

            // Default language, and list search over name (accent-insensitive), addresses and notes.
            let other = try await api.post("/customers", ["name": "Ivana Horvat", "notes": "VIP since 2019"],
                                           expect: .created, as: S.Customer.self)
            #expect(other.language == .en && other.identities.isEmpty && other.notes == "VIP since 2019")
            let byName = try await api.get("/customers?q=\(query("PAPADOP"))", as: S.CustomerPage.self)
            #expect(byName.data.map(\.id) == [created.id])
            let byAddress = try await api.get("/customers?q=\(query("george.p@"))", as: S.CustomerPage.self)
            #expect(byAddress.data.map(\.id) == [created.id])
            let byNotes = try await api.get("/customers?q=vip", as: S.CustomerPage.self)
            #expect(byNotes.data.map(\.id) == [other.id])
            // LIKE wildcards in the text match literally.
            let wildcard = try await api.get("/customers?q=\(query("%"))", as: S.CustomerPage.self)
            #expect(wildcard.data.isEmpty)
            let all = try await api.get("/customers", as: S.CustomerPage.self)
            #expect(all.data.map(\.id) == [other.id, created.id] && all.nextCursor == nil)
        }
    }

    @Test("search is accent- and case-insensitive (Greek) and respects team visibility", arguments: TestDatabase.available)
    func search(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let admin = API(app, f.adminToken)
            let customer = try await admin.post("/customers", ["name": "Μαρία Κωνσταντίνου"], expect: .created, as: S.Customer.self)
            let visible = try await admin.post("/conversations", [
                "customerId": customer.id, "subject": "Παράπονο για παράδοση", "teamId": f.teamA,
                "text": "Η παράδοση άργησε τρεις μέρες",
            ], expect: .created, as: S.Conversation.self)
            let hidden = try await admin.post("/conversations", [
                "customerId": customer.id, "subject": "Παράπονο για τιμολόγιο", "teamId": f.teamB,
            ], expect: .created, as: S.Conversation.self)

            let results = try await admin.get("/search?q=\(query("παραπονο"))", as: S.SearchResults.self)
            #expect(Set(results.conversations.map(\.id)) == [visible.id, hidden.id])
            let messages = try await admin.get("/search?q=\(query("ΠΑΡΑΔΟΣΗ"))", as: S.SearchResults.self)
            #expect(messages.messages.map(\.conversationId) == [visible.id])
            #expect(messages.messages.first?.text == "Η παράδοση άργησε τρεις μέρες")
            let people = try await admin.get("/search?q=\(query("μαρια κωνσταντινου"))", as: S.SearchResults.self)
            #expect(people.customers.map(\.id) == [customer.id])

            // Agent A (team A) does not find team B's conversation.
            let asAgent = try await API(app, f.agentAToken).get("/search?q=\(query("παραπονο"))&limit=5", as: S.SearchResults.self)
            #expect(asAgent.conversations.map(\.id) == [visible.id])

            try await admin.expectProblem(.GET, "/search?q=\(query("!!!"))", status: .unprocessableEntity, code: "search.empty_query")
            try await admin.expectProblem(.GET, "/search?q=x&limit=51", status: .badRequest, code: "request.out_of_range", field: "limit")
            try await admin.expectProblem(.GET, "/search", status: .badRequest)
        }
    }

    @Test("merge moves identities and conversations to the survivor; the source is gone", arguments: TestDatabase.available)
    func merge(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.adminToken)
            let survivor = try await api.post("/customers", ["name": "Ana Kovač", "attributes": ["plan": "basic"],
                                                             "identities": [["kind": "email", "address": "ana@kovac.hr"]]],
                                              expect: .created, as: S.Customer.self)
            let source = try await api.post("/customers", ["name": "A. Kovač", "attributes": ["plan": "premium", "city": "Split"],
                                                           "identities": [["kind": "phone", "address": "+385 91 111 2222"]]],
                                            expect: .created, as: S.Customer.self)
            let conversation = try await api.post("/conversations", ["customerId": source.id, "subject": "Račun"],
                                                  expect: .created, as: S.Conversation.self)

            let merged = try await api.post("/customers/\(survivor.id)/merge", ["sourceCustomerId": source.id], expect: .ok, as: S.Customer.self)
            #expect(merged.id == survivor.id)
            #expect(Set(merged.identities.map(\.address)) == ["ana@kovac.hr", "+385911112222"])
            #expect(merged.identities.allSatisfy { $0.customerId == survivor.id })
            #expect(merged.attributes.additionalProperties == ["plan": "basic", "city": "Split"])
            let moved = try await api.get("/conversations/\(conversation.id)", as: S.Conversation.self)
            #expect(moved.customerId == survivor.id)

            try await api.expectProblem(.GET, "/customers/\(source.id)", status: .notFound, code: "customer.not_found")
            try await api.expectProblem(.POST, "/customers/\(survivor.id)/merge", json: ["sourceCustomerId": survivor.id],
                                        status: .conflict, code: "customer.merge_self")
            try await api.expectProblem(.POST, "/customers/\(survivor.id)/merge", json: ["sourceCustomerId": source.id],
                                        status: .notFound, code: "customer.not_found")
            try await api.expectProblem(.POST, "/customers/999999/merge", json: ["sourceCustomerId": survivor.id],
                                        status: .notFound, code: "customer.not_found")
        }
    }

    @Test("identities: added once (201, then 200), normalised, never shared between customers", arguments: TestDatabase.available)
    func identities(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.agentAToken)
            let first = try await api.post("/customers", ["name": "Petra"], expect: .created, as: S.Customer.self)
            let second = try await api.post("/customers", ["name": "Marko", "identities": [["kind": "whatsapp", "address": "+385 98 765 4321"]]],
                                            expect: .created, as: S.Customer.self)

            let added = try await api.post("/customers/\(first.id)/identities", ["kind": "email", "address": "Petra@Example.HR"],
                                           expect: .created, as: S.Identity.self)
            #expect(added.address == "petra@example.hr" && added.kind == .email && added.customerId == first.id)
            let again = try await api.post("/customers/\(first.id)/identities", ["kind": "email", "address": "petra@example.hr "],
                                           expect: .ok, as: S.Identity.self)
            #expect(again == added)
            let list = try await api.get("/customers/\(first.id)/identities", as: S.IdentityList.self)
            #expect(list.data == [added])

            // Another customer's identity: 409, at creation too; a malformed address: 422 naming the field.
            try await api.expectProblem(.POST, "/customers/\(first.id)/identities", json: ["kind": "whatsapp", "address": "+385987654321"],
                                        status: .conflict, code: "identity.taken")
            try await api.expectProblem(.POST, "/customers", json: ["name": "Copy", "identities": [["kind": "whatsapp", "address": "+385 98 765 4321"]]],
                                        status: .conflict, code: "identity.taken")
            try await api.expectProblem(.POST, "/customers/\(first.id)/identities", json: ["kind": "email", "address": "not-an-address"],
                                        status: .unprocessableEntity, code: "identity.invalid_email", field: "address")
            try await api.expectProblem(.POST, "/customers", json: ["name": "X", "identities": [["kind": "phone", "address": "+30 210 1234567"],
                                                                                               ["kind": "email", "address": "nope"]]],
                                        status: .unprocessableEntity, code: "identity.invalid_email", field: "identities[1].address")
            try await api.expectProblem(.GET, "/customers/424242/identities", status: .notFound, code: "customer.not_found")
            let unchanged = try await api.get("/customers/\(second.id)", as: S.Customer.self)
            #expect(unchanged.identities.map(\.address) == ["+385987654321"])
            // Nothing half-created by the refused requests.
            let all = try await api.get("/customers", as: S.CustomerPage.self)
            #expect(all.data.count == 2)
        }
    }

    // MARK: Conversations

    @Test("conversation lists page with a cursor: every item exactly once, newest activity first", arguments: TestDatabase.available)
    func conversationPaging(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withCareApp(db, clock: clock) { app, f in
            let api = API(app, f.adminToken)
            let customer = try await api.post("/customers", ["name": "Paging"], expect: .created, as: S.Customer.self)
            var created: [Int64] = []
            for i in 0..<11 {
                // Some share a timestamp, so the id must break ties.
                if i % 3 == 0 { clock.advance(by: 1) }
                created.append(try await api.post("/conversations", ["customerId": customer.id, "subject": "Topic \(i)"],
                                                  expect: .created, as: S.Conversation.self).id)
            }
            var seen: [S.Conversation] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await api.get("/conversations?customerId=\(customer.id)&limit=4" + (cursor.map { "&cursor=\(query($0))" } ?? ""),
                                             as: S.ConversationPage.self)
                #expect(page.data.count <= 4)
                seen += page.data
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.map(\.id) == created.reversed())
            #expect(Set(seen.map(\.id)).count == seen.count)
            let ordered = zip(seen, seen.dropFirst()).allSatisfy { a, b in
                a.lastMessageAt > b.lastMessageAt || (a.lastMessageAt == b.lastMessageAt && a.id > b.id)
            }
            #expect(ordered)

            // Customers and messages page the same way.
            for i in 0..<4 { _ = try await api.post("/customers", ["name": "C\(i)"], expect: .created, as: S.Customer.self) }
            let customers = try await api.walk("/customers?limit=2", as: S.CustomerPage.self) { ($0.data.map(\.id), $0.nextCursor) }
            #expect(customers.count == 5 && Set(customers).count == 5)
            for i in 0..<5 {
                clock.advance(by: 1)
                _ = try await api.post("/messages", ["direction": "note", "conversationId": created[0], "text": "note \(i)"],
                                       expect: .created, as: S.Message.self)
            }
            let messages = try await api.walk("/conversations/\(created[0])/messages?limit=2", as: S.MessagePage.self) {
                ($0.data.map(\.id), $0.nextCursor)
            }
            // The "created" event plus five notes, oldest first.
            #expect(messages.count == 6 && messages == messages.sorted())

            try await api.expectProblem(.GET, "/conversations?cursor=not*a*cursor", status: .badRequest, code: "pagination.invalid_cursor", field: "cursor")
            try await api.expectProblem(.GET, "/conversations?limit=0", status: .badRequest, code: "pagination.invalid_limit", field: "limit")
            try await api.expectProblem(.GET, "/customers?limit=201", status: .badRequest, code: "pagination.invalid_limit", field: "limit")
            try await api.expectProblem(.GET, "/conversations/\(created[0])/messages?cursor=%25%25", status: .badRequest, code: "pagination.invalid_cursor")
        }
    }

    @Test("cursors keep working with real clock timestamps (sub-microsecond times)", arguments: TestDatabase.available)
    func pagingWithSystemClock(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.adminToken)
            let customer = try await api.post("/customers", ["name": "Clock"], expect: .created, as: S.Customer.self)
            var created: [Int64] = []
            for i in 0..<30 {
                created.append(try await api.post("/conversations", ["customerId": customer.id, "subject": "T\(i)"],
                                                  expect: .created, as: S.Conversation.self).id)
            }
            // Real clock times (not whole seconds): cursors must still advance on both databases (see Keyset.swift).
            do {
                var seen: [Int64] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let page = try await api.get("/conversations?customerId=\(customer.id)&limit=1" + (cursor.map { "&cursor=\(query($0))" } ?? ""),
                                                 as: S.ConversationPage.self)
                    seen += page.data.map(\.id)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages <= created.count + 1
                #expect(seen == created.reversed())
                // The API's own page filling ("only assigned") walks the same cursors; it must end, not spin.
                let assigned = try await api.get("/conversations?customerId=\(customer.id)&unassigned=false&limit=1", as: S.ConversationPage.self)
                #expect(assigned.data.isEmpty && assigned.nextCursor == nil)
            }
        }
    }

    @Test("conversation filters: status, team, assignee, unassigned, channel, customer, tag", arguments: TestDatabase.available)
    func conversationFilters(db: TestDatabase) async throws {
        try await withCareApp(db, clock: ManualClock()) { app, f in
            let api = API(app, f.adminToken)
            let c1 = try await api.post("/customers", ["name": "One"], expect: .created, as: S.Customer.self)
            let c2 = try await api.post("/customers", ["name": "Two"], expect: .created, as: S.Customer.self)
            let a = try await api.post("/conversations", ["customerId": c1.id, "subject": "A", "channel": "email", "teamId": f.teamA,
                                                          "assigneeId": f.agentA.id!, "tags": ["VIP", "billing"], "priority": "high", "kind": "complaint"],
                                       expect: .created, as: S.Conversation.self)
            #expect(a.channel == .email && a.teamId == Int64(f.teamA) && a.assigneeId == Int64(f.agentA.id!))
            #expect(a.tags == ["vip", "billing"] && a.priority == .high && a.kind == .complaint && a.status == .open)
            let b = try await api.post("/conversations", ["customerId": c2.id, "subject": "B", "channel": "sms", "teamId": f.teamB],
                                       expect: .created, as: S.Conversation.self)
            #expect(b.channel == .sms && b.assigneeId == nil && b.tags.isEmpty && b.priority == .normal && b.kind == .question)
            let c = try await api.post("/conversations", ["customerId": c2.id, "subject": "C", "tags": ["billing"]],
                                       expect: .created, as: S.Conversation.self)
            #expect(c.channel == .api)
            _ = try await api.patch("/conversations/\(c.id)", ["status": "resolved"], as: S.Conversation.self)

            func ids(_ q: String) async throws -> Set<Int64> {
                Set(try await api.get("/conversations?\(q)", as: S.ConversationPage.self).data.map(\.id))
            }
            #expect(try await ids("") == [a.id, b.id, c.id])  // every status unless one is asked for
            #expect(try await ids("status=open") == [a.id, b.id])
            #expect(try await ids("status=resolved") == [c.id])
            #expect(try await ids("teamId=\(f.teamA)") == [a.id])
            #expect(try await ids("assigneeId=\(f.agentA.id!)") == [a.id])
            #expect(try await ids("unassigned=true") == [b.id, c.id])
            #expect(try await ids("unassigned=false") == [a.id])
            #expect(try await ids("unassigned=true&assigneeId=\(f.agentA.id!)") == [])
            #expect(try await ids("channel=sms") == [b.id])
            #expect(try await ids("customerId=\(c2.id)") == [b.id, c.id])
            #expect(try await ids("tag=BILLING") == [a.id, c.id])
            #expect(try await ids("tag=billing&status=open") == [a.id])
            #expect(try await ids("tag=a,b") == [])  // no tag can contain a comma
            // "Only assigned" fills whole pages even though the repository cannot filter it.
            let assignedPage = try await api.get("/conversations?unassigned=false&limit=1", as: S.ConversationPage.self)
            #expect(assignedPage.data.map(\.id) == [a.id])

            let tags = try await api.get("/tags", as: S.TagList.self)
            #expect(tags.data.map(\.name) == ["billing", "vip"] && tags.data.map(\.conversationCount) == [2, 1])

            try await api.expectProblem(.GET, "/conversations?status=archived", status: .badRequest)
            try await api.expectProblem(.GET, "/conversations?channel=pigeon", status: .badRequest)
            try await api.expectProblem(.GET, "/conversations?teamId=abc", status: .badRequest)
        }
    }

    @Test("PATCH a conversation: status, assignee, team and tags; null clears", arguments: TestDatabase.available)
    func updateConversation(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.adminToken)
            let customer = try await api.post("/customers", ["name": "Nikos"], expect: .created, as: S.Customer.self)
            let c = try await api.post("/conversations", ["customerId": customer.id, "subject": "Delivery", "tags": ["urgent"]],
                                       expect: .created, as: S.Conversation.self)

            let updated = try await api.patch("/conversations/\(c.id)", [
                "status": "pending", "priority": "urgent", "assigneeId": f.agentA.id!, "teamId": f.teamA,
                "tags": ["Delivery", "delivery", " late "], "subject": "Late delivery",
            ], as: S.Conversation.self)
            #expect(updated.status == .pending && updated.priority == .urgent && updated.subject == "Late delivery")
            #expect(updated.assigneeId == Int64(f.agentA.id!) && updated.teamId == Int64(f.teamA))
            #expect(updated.tags == ["delivery", "late"])
            #expect(updated.updatedAt >= c.updatedAt)

            // Absent properties stay; explicit null unassigns and removes the team.
            let kept = try await api.patch("/conversations/\(c.id)", ["kind": "problem"], as: S.Conversation.self)
            #expect(kept.kind == .problem && kept.assigneeId == Int64(f.agentA.id!) && kept.teamId == Int64(f.teamA) && kept.tags == ["delivery", "late"])
            let cleared = try await api.patch("/conversations/\(c.id)", ["assigneeId": NSNull(), "teamId": NSNull(), "tags": []], as: S.Conversation.self)
            #expect(cleared.assigneeId == nil && cleared.teamId == nil && cleared.tags.isEmpty && cleared.status == .pending)

            // Every change is written into the thread as an event.
            let thread = try await api.get("/conversations/\(c.id)/messages?limit=200", as: S.MessagePage.self)
            #expect(thread.data.allSatisfy { $0.direction == .event && $0.deliveryStatus == S.DeliveryStatus.none })
            #expect(thread.data.count >= 8)

            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["assigneeId": 987654], status: .notFound, code: "agent.not_found")
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["teamId": 987654], status: .notFound, code: "team.not_found")
            try await api.expectProblem(.PATCH, "/conversations/987654", json: ["status": "closed"], status: .notFound, code: "conversation.not_found")
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["status": NSNull()], status: .badRequest,
                                        code: "request.null_value", field: "status")
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["status": "archived"], status: .badRequest)
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["subject": ""], status: .badRequest,
                                        code: "request.invalid_length", field: "subject")
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["subject": "   "], status: .unprocessableEntity,
                                        code: "conversation.invalid_subject")
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["tags": ["ok", "a,b"]], status: .unprocessableEntity,
                                        code: "conversation.invalid_tag", field: "tags[1]")

            // A deactivated agent cannot be assigned.
            _ = try await app.care.store.agents.update(f.agentB.id!, name: nil, role: nil, language: nil, timeZone: nil, active: false,
                                                       teamIds: nil, by: nil)
            try await api.expectProblem(.PATCH, "/conversations/\(c.id)", json: ["assigneeId": f.agentB.id!], status: .unprocessableEntity,
                                        code: "conversation.inactive_assignee", field: "assigneeId")
            try await api.expectProblem(.POST, "/conversations", json: ["customerId": customer.id, "subject": "x", "assigneeId": f.agentB.id!],
                                        status: .unprocessableEntity, code: "conversation.inactive_assignee")
            try await api.expectProblem(.POST, "/conversations", json: ["customerId": 987654, "subject": "x"], status: .notFound,
                                        code: "customer.not_found")
        }
    }

    @Test("agents see only their teams' conversations; others are 404, not 403", arguments: TestDatabase.available)
    func visibility(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let admin = API(app, f.adminToken), agentA = API(app, f.agentAToken)
            let customer = try await admin.post("/customers", ["name": "Shared"], expect: .created, as: S.Customer.self)
            let teamB = try await admin.post("/conversations", ["customerId": customer.id, "subject": "B only", "teamId": f.teamB],
                                             expect: .created, as: S.Conversation.self)
            let teamA = try await admin.post("/conversations", ["customerId": customer.id, "subject": "A", "teamId": f.teamA],
                                             expect: .created, as: S.Conversation.self)
            let noTeam = try await admin.post("/conversations", ["customerId": customer.id, "subject": "Nobody's"],
                                              expect: .created, as: S.Conversation.self)
            let assigned = try await admin.post("/conversations", ["customerId": customer.id, "subject": "B but mine", "teamId": f.teamB,
                                                                   "assigneeId": f.agentA.id!], expect: .created, as: S.Conversation.self)

            let listed = Set(try await agentA.get("/conversations", as: S.ConversationPage.self).data.map(\.id))
            #expect(listed == [teamA.id, noTeam.id, assigned.id])
            #expect(try await admin.get("/conversations", as: S.ConversationPage.self).data.count == 4)

            try await agentA.expectProblem(.GET, "/conversations/\(teamB.id)", status: .notFound, code: "conversation.not_found")
            try await agentA.expectProblem(.GET, "/conversations/\(teamB.id)/messages", status: .notFound, code: "conversation.not_found")
            try await agentA.expectProblem(.PATCH, "/conversations/\(teamB.id)", json: ["status": "closed"], status: .notFound,
                                           code: "conversation.not_found")
            try await agentA.expectProblem(.POST, "/messages", json: ["direction": "note", "conversationId": teamB.id, "text": "peek"],
                                           status: .notFound, code: "conversation.not_found")
            try await agentA.expectProblem(.POST, "/messages", json: ["direction": "inbound", "conversationId": teamB.id, "text": "peek"],
                                           status: .notFound, code: "conversation.not_found")
            let untouched = try await admin.get("/conversations/\(teamB.id)", as: S.Conversation.self)
            #expect(untouched.status == .open)
            #expect(try await agentA.get("/conversations/\(assigned.id)", as: S.Conversation.self).id == assigned.id)
        }
    }

    // MARK: Messages

    @Test("inbound messages: a new sender becomes a customer with a conversation; a repeated externalId is stored once",
          arguments: TestDatabase.available)
    func inbound(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.agentAToken)
            let body: [String: Any] = [
                "direction": "inbound", "text": "Η παραγγελία μου δεν έφτασε", "html": "<p>Η παραγγελία <script>x()</script>μου</p>",
                "externalId": "ext-1", "subject": "Παραγγελία 1234",
                "from": ["kind": "email", "address": "Kostas@Example.gr", "name": "Κώστας"],
                "receivedAt": "2024-01-05T10:00:00Z",
            ]
            let first = try await api.post("/messages", body, expect: .created, as: S.Message.self)
            #expect(first.direction == .inbound && first.channel == .api && first.authorAgentId == nil)
            #expect(first.externalId == "ext-1" && first.deliveryStatus == S.DeliveryStatus.none)
            #expect(first.html?.contains("script") == false)
            #expect(first.createdAt == ISO8601DateFormatter().date(from: "2024-01-05T10:00:00Z"))

            let conversation = try await api.get("/conversations/\(first.conversationId)", as: S.Conversation.self)
            #expect(conversation.subject == "Παραγγελία 1234" && conversation.channel == .api && conversation.status == .open)
            let customer = try await api.get("/customers/\(conversation.customerId)", as: S.Customer.self)
            #expect(customer.name == "Κώστας" && customer.identities.map(\.address) == ["kostas@example.gr"])

            let again = try await api.post("/messages", body, expect: .ok, as: S.Message.self)
            #expect(again == first)
            let thread = try await api.get("/conversations/\(first.conversationId)/messages", as: S.MessagePage.self)
            #expect(thread.data.filter { $0.direction == .inbound }.map(\.id) == [first.id])

            // Without externalId, the same sender continues the open conversation.
            let next = try await api.post("/messages", ["direction": "inbound", "text": "Any news?", "from": ["kind": "email", "address": "kostas@example.gr"]],
                                          expect: .created, as: S.Message.self)
            #expect(next.conversationId == first.conversationId && next.id != first.id)
            // With conversationId and no sender, the conversation's customer is the sender; dedupe works the same.
            let joined = try await api.post("/messages", ["direction": "inbound", "text": "Called too", "conversationId": first.conversationId, "externalId": "call-9"],
                                            expect: .created, as: S.Message.self)
            let joinedAgain = try await api.post("/messages", ["direction": "inbound", "text": "Called too", "conversationId": first.conversationId, "externalId": "call-9"],
                                                 expect: .ok, as: S.Message.self)
            #expect(joined.id == joinedAgain.id && joined.conversationId == first.conversationId)

            // The direction's rules and the sender's address.
            try await api.expectProblem(.POST, "/messages", json: ["direction": "inbound", "text": "who am I?"], status: .unprocessableEntity,
                                        code: "message.sender_required", field: "from")
            try await api.expectProblem(.POST, "/messages", json: ["direction": "inbound", "text": "x", "from": ["kind": "email", "address": "broken"]],
                                        status: .unprocessableEntity, code: "identity.invalid_email", field: "from.address")
            try await api.expectProblem(.POST, "/messages", json: ["direction": "inbound", "text": "x", "conversationId": first.conversationId,
                                                                   "from": ["kind": "email", "address": "someone.else@example.gr"]],
                                        status: .unprocessableEntity, code: "message.sender_mismatch", field: "from")
            try await api.expectProblem(.POST, "/messages", json: ["direction": "inbound", "text": "   ", "from": ["kind": "email", "address": "a@b.gr"]],
                                        status: .unprocessableEntity, code: "message.empty")
            try await api.expectProblem(.POST, "/messages", json: ["direction": "event", "text": "x", "conversationId": first.conversationId],
                                        status: .badRequest)
            try await api.expectProblem(.POST, "/messages", json: ["direction": "inbound", "text": "", "conversationId": first.conversationId],
                                        status: .badRequest, code: "request.invalid_length", field: "text")
        }
    }

    @Test("outbound replies are queued for delivery, notes are not; both dedupe by the agent's externalId", arguments: TestDatabase.available)
    func outboundAndNotes(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let api = API(app, f.agentAToken)
            let inbound = try await api.post("/messages", ["direction": "inbound", "text": "Hello?", "from": ["kind": "chat_visitor", "address": "visitor-7"]],
                                             expect: .created, as: S.Message.self)
            let reply = try await api.post("/messages", ["direction": "outbound", "conversationId": inbound.conversationId, "text": "Hi! How can I help?",
                                                         "externalId": "crm-1"], expect: .created, as: S.Message.self)
            #expect(reply.direction == .outbound && reply.deliveryStatus == .queued && reply.authorAgentId == Int64(f.agentA.id!))
            #expect(reply.externalId == "crm-1" && reply.channel == .api)
            let repeated = try await api.post("/messages", ["direction": "outbound", "conversationId": inbound.conversationId, "text": "Hi! How can I help?",
                                                            "externalId": "crm-1"], expect: .ok, as: S.Message.self)
            #expect(repeated.id == reply.id)
            let pending = try await app.care.store.outbox.pending()
            #expect(pending.compactMap(\.messageId) == [Int(reply.id)])

            let note = try await api.post("/messages", ["direction": "note", "conversationId": inbound.conversationId, "text": "Regular customer"],
                                          expect: .created, as: S.Message.self)
            #expect(note.direction == .note && note.deliveryStatus == S.DeliveryStatus.none && note.authorAgentId == Int64(f.agentA.id!))
            #expect(try await app.care.store.outbox.pending().count == 1)

            // Replying takes an unowned conversation.
            let conversation = try await api.get("/conversations/\(inbound.conversationId)", as: S.Conversation.self)
            #expect(conversation.assigneeId == Int64(f.agentA.id!))
            let thread = try await api.get("/conversations/\(inbound.conversationId)/messages", as: S.MessagePage.self)
            #expect(thread.data.filter { $0.direction != .event }.map(\.id) == [inbound.id, reply.id, note.id])

            try await api.expectProblem(.POST, "/messages", json: ["direction": "outbound", "text": "to whom?"], status: .unprocessableEntity,
                                        code: "message.conversation_required", field: "conversationId")
            try await api.expectProblem(.POST, "/messages", json: ["direction": "note", "conversationId": 999999, "text": "x"], status: .notFound,
                                        code: "conversation.not_found")
        }
    }

    // MARK: Agents and teams

    @Test("agents and teams: anyone lists, only admins create", arguments: TestDatabase.available)
    func agentsAndTeams(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let admin = API(app, f.adminToken), agent = API(app, f.agentAToken)
            let team = try await admin.post("/teams", ["name": "Returns"], expect: .created, as: S.Team.self)
            #expect(team.name == "Returns" && team.memberIds.isEmpty)
            try await admin.expectProblem(.POST, "/teams", json: ["name": "Returns"], status: .conflict, code: "team.name_taken")
            try await agent.expectProblem(.POST, "/teams", json: ["name": "Mine"], status: .forbidden, code: "auth.forbidden")

            let created = try await admin.post("/agents", ["email": "Nina@Test.Local", "name": "Nina", "password": "long-enough-pw",
                                                           "role": "supervisor", "language": "hr", "teamIds": [team.id, f.teamA]],
                                               expect: .created, as: S.Agent.self)
            #expect(created.email == "nina@test.local" && created.role == .supervisor && created.language == .hr && created.active)
            #expect(created.timeZone == "Europe/Athens" && created.teamIds == [Int64(f.teamA), team.id].sorted())
            let stored = try #require(try await app.care.store.agents.find(email: "nina@test.local"))
            #expect(stored.passwordHash != "long-enough-pw")
            #expect(try app.password.verify("long-enough-pw", created: stored.passwordHash))

            let fetched = try await agent.get("/agents/\(created.id)", as: S.Agent.self)
            #expect(fetched == created)
            let agents = try await agent.get("/agents", as: S.AgentList.self)
            #expect(agents.data.map(\.name) == agents.data.map(\.name).sorted() && agents.data.contains(created))
            let teams = try await agent.get("/teams", as: S.TeamList.self)
            #expect(teams.data.map(\.name) == ["Returns", "Team A", "Team B"])
            #expect(teams.data.first { $0.name == "Returns" }?.memberIds == [created.id])

            try await agent.expectProblem(.POST, "/agents", json: ["email": "x@test.local", "name": "X", "password": "long-enough-pw", "role": "admin"],
                                          status: .forbidden, code: "auth.forbidden")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "nina@test.local", "name": "Nina 2", "password": "long-enough-pw", "role": "agent"],
                                          status: .conflict, code: "agent.email_taken")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "y@test.local", "name": "Y", "password": "short", "role": "agent"],
                                          status: .badRequest, code: "request.invalid_length", field: "password")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "not an email", "name": "Y", "password": "long-enough-pw", "role": "agent"],
                                          status: .badRequest, code: "agent.invalid_email", field: "email")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "y@test.local", "name": "Y", "password": "long-enough-pw", "role": "agent",
                                                                   "timeZone": "Mars/Olympus"],
                                          status: .unprocessableEntity, code: "agent.invalid_time_zone", field: "timeZone")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "y@test.local", "name": "Y", "password": "long-enough-pw", "role": "agent",
                                                                   "teamIds": [987654]],
                                          status: .notFound, code: "team.not_found")
            try await admin.expectProblem(.POST, "/agents", json: ["email": "y@test.local", "name": "Y", "password": "long-enough-pw", "role": "owner"],
                                          status: .badRequest)
            try await admin.expectProblem(.GET, "/agents/987654", status: .notFound, code: "agent.not_found")
            #expect(try await app.care.store.agents.find(email: "y@test.local") == nil)
        }
    }

    // MARK: Authentication and malformed requests

    @Test("no, unknown or revoked token: 401 problem+json with a Bearer challenge")
    func authentication() async throws {
        let clock = ManualClock()
        try await withCareApp(clock: clock) { app, f in
            let tester = try app.testing()
            for (headers, code) in [(HTTPHeaders(), "auth.token_required"),
                                    (HTTPHeaders.bearer("cdk_not-a-real-token"), "auth.token_invalid")] {
                let r = try await tester.sendRequest(.GET, "/api/v1/customers", headers: headers)
                try checkProblem(r, status: .unauthorized, code: code)
                #expect(r.headers.first(name: .wwwAuthenticate) == "Bearer")
            }
            let noToken = try await tester.sendRequest(.POST, "/api/v1/customers", body: jsonBody(["name": "Sneaky"]))
            try checkProblem(noToken, status: .unauthorized, code: "auth.token_required")

            // A token revoked by an admin stops working at once.
            let api = API(app, f.agentBToken)
            _ = try await api.get("/customers", as: S.CustomerPage.self)
            let store = app.care.store
            let token = try #require(try await store.agents.tokens().first { $0.$agent.id == f.agentB.id })
            let admin = try await signIn(app, email: f.admin.email)
            let revoked = try await postForm(app, "/admin/tokens/\(try token.requireID())/revoke", as: admin, [:])
            #expect(revoked.status == .seeOther)
            try await api.expectProblem(.GET, "/customers", status: .unauthorized, code: "auth.token_invalid")
            #expect(try await API(app, f.adminToken).get("/customers", as: S.CustomerPage.self).data.isEmpty)

            // Revoked elsewhere (another CareDesk node on the same database): this node's cache of verified
            // tokens forgets it within its lifetime.
            let agentA = API(app, f.agentAToken)
            _ = try await agentA.get("/customers", as: S.CustomerPage.self)
            let tokenA = try #require(try await store.agents.tokens().first { $0.$agent.id == f.agentA.id })
            try await store.agents.revokeToken(try tokenA.requireID(), by: try f.viewer(f.admin, store))
            clock.advance(by: APITokenCache.lifetime)
            try await agentA.expectProblem(.GET, "/customers", status: .unauthorized, code: "auth.token_invalid")
        }
    }

    @Test("malformed requests are 400, oversized 413, unknown ids 404, all problem+json")
    func malformed() async throws {
        var config = CareConfig(runWorker: false)
        config.maxBodyBytes = 4096
        try await withCareApp(configure: config) { app, f in
            let api = API(app, f.adminToken)
            // Wrong JSON types, missing required properties, unknown enum values, unparseable JSON.
            try await api.expectProblem(.POST, "/customers", raw: #"{"name": 42}"#, status: .badRequest)
            try await api.expectProblem(.POST, "/customers", raw: #"{"language": "en"}"#, status: .badRequest)
            try await api.expectProblem(.POST, "/customers", raw: #"{"name": "X", "language": "fr"}"#, status: .badRequest)
            try await api.expectProblem(.POST, "/customers", raw: #"{"name": "X", "identities": [{"kind": "carrier-pigeon", "address": "a"}]}"#,
                                        status: .badRequest)
            try await api.expectProblem(.POST, "/customers", raw: #"{"name": "#, status: .badRequest)
            try await api.expectProblem(.POST, "/conversations", raw: #"{"customerId": "1", "subject": "x"}"#, status: .badRequest)
            try await api.expectProblem(.POST, "/messages", raw: #"{"text": "no direction"}"#, status: .badRequest)
            try await api.expectProblem(.GET, "/customers/not-a-number", status: .badRequest)
            // Documented limits.
            try await api.expectProblem(.POST, "/customers", json: ["name": String(repeating: "x", count: 201)], status: .badRequest,
                                        code: "request.invalid_length", field: "name")
            try await api.expectProblem(.POST, "/customers", json: ["name": ""], status: .badRequest, code: "request.invalid_length", field: "name")
            try await api.expectProblem(.GET, "/customers?q=", status: .badRequest, code: "request.invalid_length", field: "q")
            // A client that accepts only application/json still gets the 400 problem (not a 406).
            var jsonOnly = HTTPHeaders.bearer(f.adminToken)
            jsonOnly.replaceOrAdd(name: .accept, value: "application/json")
            let strict = try await app.testing().sendRequest(.POST, "/api/v1/customers", headers: jsonOnly,
                                                             body: jsonBody(["name": String(repeating: "x", count: 201)]))
            let strictProblem = try checkProblem(strict, status: .badRequest)
            #expect(strictProblem.detail?.contains("name") == true)
            // Too large, refused before it is read.
            try await api.expectProblem(.POST, "/customers", json: ["name": "Big", "notes": String(repeating: "n", count: 5000)],
                                        status: .payloadTooLarge, code: "request.too_large")
            // Unknown ids.
            try await api.expectProblem(.GET, "/customers/987654", status: .notFound, code: "customer.not_found")
            try await api.expectProblem(.PATCH, "/customers/987654", json: ["name": "Ghost"], status: .notFound, code: "customer.not_found")
            try await api.expectProblem(.GET, "/conversations/987654", status: .notFound, code: "conversation.not_found")
            try await api.expectProblem(.GET, "/conversations/987654/messages", status: .notFound, code: "conversation.not_found")
            try await api.expectProblem(.GET, "/agents/987654", status: .notFound, code: "agent.not_found")
            // Nothing was stored by any of them.
            #expect(try await api.get("/customers", as: S.CustomerPage.self).data.isEmpty)
        }
    }

    @Test("the published spec is served")
    func specServed() async throws {
        try await withCareApp { app, _ in
            let r = try await app.testing().sendRequest(.GET, "/api/v1/openapi.yaml")
            #expect(r.status == .ok)
            #expect(r.body.string.contains("operationId: createMessage"))
        }
    }

    @Test("every enum of the spec has the same cases as the domain's")
    func enumsMatchSpec() {
        func same<A: CaseIterable & RawRepresentable, B: CaseIterable & RawRepresentable>(_: A.Type, _: B.Type) -> Bool
            where A.RawValue == String, B.RawValue == String {
            Set(A.allCases.map(\.rawValue)) == Set(B.allCases.map(\.rawValue))
        }
        #expect(same(S.Channel.self, CareCore.Channel.self))
        #expect(same(S.ConversationStatus.self, CareCore.ConversationStatus.self))
        #expect(same(S.Priority.self, CareCore.Priority.self))
        #expect(same(S.ConversationKind.self, CareCore.ConversationKind.self))
        #expect(same(S.MessageDirection.self, CareCore.MessageDirection.self))
        #expect(same(S.DeliveryStatus.self, CareCore.DeliveryStatus.self))
        #expect(same(S.IdentityKind.self, CareCore.IdentityKind.self))
        #expect(same(S.Role.self, CareCore.AgentRole.self))
        #expect(same(S.Language.self, CareCore.UILanguage.self))
        #expect(Set(S.MessageCreateDirection.allCases.map(\.rawValue)) == ["inbound", "outbound", "note"])
    }
}

// MARK: - Helpers

/// Percent-encodes a query parameter value.
private func query(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}

/// Asserts an RFC 9457 problem response: status, content type, the `status` and `code` members, and a field error.
@discardableResult
private func checkProblem(_ r: TestingHTTPResponse, status: HTTPStatus, code: String? = nil, field: String? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> Components.Schemas.Problem {
    #expect(r.status == status, "expected \(status.code), got \(r.status.code): \(r.body.string)", sourceLocation: sourceLocation)
    #expect(r.headers.first(name: .contentType)?.hasPrefix("application/problem+json") == true,
            "content type \(r.headers.first(name: .contentType) ?? "none")", sourceLocation: sourceLocation)
    let problem = try JSONDecoder().decode(Components.Schemas.Problem.self, from: Data(r.body.readableBytesView))
    #expect(problem.status == Int(status.code), sourceLocation: sourceLocation)
    #expect(!problem.title.isEmpty && !problem._type.isEmpty, sourceLocation: sourceLocation)
    if let code { #expect(problem.code == code, "\(problem.detail ?? "")", sourceLocation: sourceLocation) }
    if let field {
        #expect(problem.errors?.contains { $0.field == field } == true, "errors: \(problem.errors ?? [])", sourceLocation: sourceLocation)
    }
    return problem
}

/// A client of the API with one agent's token.
private struct API {
    let app: Application
    let token: String

    init(_ app: Application, _ token: String) {
        self.app = app
        self.token = token
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil) async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(method, "/api/v1" + path, headers: .bearer(token), body: body)
    }

    func decode<T: Decodable>(_ r: TestingHTTPResponse, expect status: HTTPStatus, as: T.Type,
                              sourceLocation: SourceLocation) throws -> T {
        try #require(r.status == status, "expected \(status.code), got \(r.status.code): \(r.body.string)", sourceLocation: sourceLocation)
        #expect(r.headers.first(name: .contentType)?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        return try Self.decoder.decode(T.self, from: Data(r.body.readableBytesView))
    }

    func get<T: Decodable>(_ path: String, as type: T.Type, sourceLocation: SourceLocation = #_sourceLocation) async throws -> T {
        try decode(try await send(.GET, path), expect: .ok, as: type, sourceLocation: sourceLocation)
    }

    func post<T: Decodable>(_ path: String, _ body: [String: Any], expect status: HTTPStatus, as type: T.Type,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> T {
        try decode(try await send(.POST, path, body: jsonBody(body)), expect: status, as: type, sourceLocation: sourceLocation)
    }

    func patch<T: Decodable>(_ path: String, _ body: [String: Any], as type: T.Type,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws -> T {
        try decode(try await send(.PATCH, path, body: jsonBody(body)), expect: .ok, as: type, sourceLocation: sourceLocation)
    }

    /// Follows `nextCursor` from the first page to the last and returns every id in order.
    func walk<Page: Decodable>(_ path: String, as: Page.Type, _ read: (Page) -> ([Int64], String?),
                               sourceLocation: SourceLocation = #_sourceLocation) async throws -> [Int64] {
        var ids: [Int64] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await get(path + (cursor.map { "&cursor=\(query($0))" } ?? ""), as: Page.self, sourceLocation: sourceLocation)
            let (pageIds, next) = read(page)
            ids += pageIds
            cursor = next
            pages += 1
        } while cursor != nil && pages < 100
        return ids
    }

    @discardableResult
    func expectProblem(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, raw: String? = nil, status: HTTPStatus,
                       code: String? = nil, field: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> Components.Schemas.Problem {
        let body = json.map(jsonBody) ?? raw.map { ByteBuffer(string: $0) }
        let r = try await send(method, path, body: body)
        return try checkProblem(r, status: status, code: code, field: field, sourceLocation: sourceLocation)
    }
}
