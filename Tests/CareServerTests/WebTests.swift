import CareCore
import CareData
@testable import CareServer
import FluentKit
import Foundation
import Testing
import VaporTesting

@Suite("Agent web UI")
struct WebTests {
    static func ingest(_ app: Application, from email: String = "maria@example.gr", name: String? = nil, text: String = "Γεια σας",
                       subject: String? = nil) async throws -> IngestionResult {
        try await app.care.store.ingestion.ingest(InboundMessage(
            channel: .email, sender: try IdentityAddress.normalized(kind: .email, address: email), senderName: name,
            subject: subject, text: text))
    }

    @Test("signing in sets an HttpOnly SameSite cookie; a wrong password does not")
    func signInCookie() async throws {
        try await withCareApp { app, f in
            let ok = try await app.testing().sendRequest(.POST, "/login", beforeRequest: { req in
                try req.content.encode(["email": f.agentA.email, "password": Fixtures.password], as: .urlEncodedForm)
            })
            #expect(ok.status == .seeOther)
            let cookie = try #require(ok.headers.setCookie?[SessionAuthenticator.cookieName])
            #expect(cookie.isHTTPOnly && cookie.sameSite == .lax)
            let bad = try await app.testing().sendRequest(.POST, "/login", beforeRequest: { req in
                try req.content.encode(["email": f.agentA.email, "password": "wrong-password"], as: .urlEncodedForm)
            })
            #expect(bad.status == .unauthorized)
            #expect(bad.headers.setCookie?[SessionAuthenticator.cookieName] == nil)
            #expect(bad.body.string.contains("do not match an active agent"))
        }
    }

    @Test("sign-in is rate limited per address and e-mail")
    func signInRateLimit() async throws {
        var config = CareConfig(runWorker: false)
        config.signInAttemptsPerWindow = 3
        try await withCareApp(configure: config) { app, f in
            for _ in 0..<3 {
                let r = try await app.testing().sendRequest(.POST, "/login", beforeRequest: { req in
                    try req.content.encode(["email": f.agentA.email, "password": "nope-nope-nope"], as: .urlEncodedForm)
                })
                #expect(r.status == .unauthorized)
            }
            // Even the right password is refused until the window passes.
            let blocked = try await app.testing().sendRequest(.POST, "/login", beforeRequest: { req in
                try req.content.encode(["email": f.agentA.email, "password": Fixtures.password], as: .urlEncodedForm)
            })
            #expect(blocked.status == .tooManyRequests)
            let audit = try await app.care.store.audit.entries(cursor: nil, limit: 50, action: "signin.failed")
            #expect(audit.items.count == 3)
        }
    }

    @Test("pages need a signed-in agent; customers are never shown to strangers")
    func requiresSignIn() async throws {
        try await withCareApp { app, _ in
            let r = try await Self.ingest(app)
            var h = HTTPHeaders()
            h.add(name: .accept, value: "text/html")
            let page = try await app.testing().sendRequest(.GET, "/customers/\(r.customerId)", headers: h)
            #expect(page.status == .seeOther)
            #expect(page.headers.first(name: .location)?.hasPrefix("/login") == true)
            let fragment = try await app.testing().sendRequest(.GET, "/conversations/\(r.conversationId)/thread",
                                                               headers: ["Accept": "application/json"])
            #expect(fragment.status == .unauthorized)
            #expect(!fragment.body.string.contains("maria"))
        }
    }

    @Test("a form without the CSRF token is refused and changes nothing")
    func csrf() async throws {
        try await withCareApp { app, f in
            let r = try await Self.ingest(app)
            let s = try await signIn(app, email: f.agentA.email)
            let forged = try await postForm(app, "/conversations/\(r.conversationId)/reply", as: s, ["body": "forged"], csrf: "wrong")
            #expect(forged.status == .forbidden)
            var noToken = s.headers
            noToken.contentType = .urlEncodedForm
            let missing = try await app.testing().sendRequest(.POST, "/conversations/\(r.conversationId)/resolve", headers: noToken)
            #expect(missing.status == .forbidden)
            let c = try await Conversation.find(r.conversationId, on: app.care.store.db)!
            #expect(c.status == .open)
            #expect(try await Message.query(on: app.care.store.db).filter(\.$directionRaw == "outbound").count() == 0)
        }
    }

    @Test("the inbox shows views with counts, rows, and escapes what customers wrote")
    func inbox() async throws {
        try await withCareApp { app, f in
            _ = try await Self.ingest(app, from: "x@evil.test", name: "<script>alert(1)</script>", text: "hi", subject: "<img src=x onerror=alert(2)>")
            _ = try await Self.ingest(app, from: "ana@example.hr", name: "Ana Šimić", text: "Želim povrat novca")
            let s = try await signIn(app, email: f.agentA.email)
            let page = try await app.testing().sendRequest(.GET, "/inbox?view=unassigned", headers: s.headers)
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("Ana Šimić"))
            #expect(!html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"))
            #expect(!html.contains("<img src=x"))
            #expect(html.contains("Χωρίς ανάθεση")) // Eleni works in Greek
            #expect(html.components(separatedBy: "class=\"conversation-row").count - 1 == 2)
        }
    }

    @Test("keyset pages walk every conversation once", arguments: TestDatabase.available)
    func pagination(db: TestDatabase) async throws {
        let clock = ManualClock()
        try await withCareApp(db, clock: clock) { app, f in
            for i in 0..<57 {
                // Pairs share a timestamp so the id tie-break matters.
                if i % 2 == 0 { clock.advance(by: 1) }
                _ = try await Self.ingest(app, from: "c\(i)@example.gr", text: "message \(i)")
            }
            let viewer = try f.viewer(f.admin, app.care.store)
            for sort in InboxFilter.Sort.allCases {
                var seen: [Int] = []
                var cursor: String?
                repeat {
                    let page = try await app.care.store.conversations.list(InboxFilter(sort: sort), for: viewer, cursor: cursor, limit: 10)
                    seen += page.items.map { $0.id! }
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(seen.count == 57 && Set(seen).count == 57, "sort \(sort.rawValue)")
            }
        }
    }

    @Test("an agent cannot open a conversation of another team; a supervisor can")
    func teamVisibility() async throws {
        try await withCareApp { app, f in
            let r = try await Self.ingest(app)
            try await app.care.store.conversations.update(r.conversationId, ConversationChanges(teamId: .some(f.teamB)), by: try f.viewer(f.admin, app.care.store))
            let eleni = try await signIn(app, email: f.agentA.email)
            #expect(try await app.testing().sendRequest(.GET, "/conversations/\(r.conversationId)", headers: eleni.headers).status == .notFound)
            #expect(try await postForm(app, "/conversations/\(r.conversationId)/reply", as: eleni, ["body": "hi"]).status == .notFound)
            let ivana = try await signIn(app, email: f.agentB.email)
            #expect(try await app.testing().sendRequest(.GET, "/conversations/\(r.conversationId)", headers: ivana.headers).status == .ok)
            let sofia = try await signIn(app, email: f.supervisor.email)
            #expect(try await app.testing().sendRequest(.GET, "/conversations/\(r.conversationId)", headers: sofia.headers).status == .ok)
        }
    }

    @Test("reply, note, assign, status, priority, kind and tags from the conversation page")
    func workConversation() async throws {
        try await withCareApp { app, f in
            let r = try await Self.ingest(app)
            let s = try await signIn(app, email: f.agentA.email)
            let id = r.conversationId
            #expect(try await postForm(app, "/conversations/\(id)/reply", as: s, ["body": "Καλημέρα, το ελέγχουμε."]).status == .seeOther)
            #expect(try await postForm(app, "/conversations/\(id)/note", as: s, ["body": "Check with the courier"]).status == .seeOther)
            #expect(try await postForm(app, "/conversations/\(id)/update", as: s,
                                       ["status": "pending", "priority": "urgent", "kind": "complaint", "tags": "VIP, delivery", "team": String(f.teamA)]).status == .seeOther)
            let store = app.care.store
            let c = try await Conversation.find(id, on: store.db)!
            #expect(c.status == .pending && c.priority == .urgent && c.kind == .complaint)
            #expect(c.tagNames.sorted() == ["delivery", "vip"])
            #expect(c.$assignee.id == f.agentA.id) // replying took ownership
            let outbox = try await store.outbox.pending()
            #expect(outbox.count == 1 && outbox[0].kind == "reply")
            let page = try await app.testing().sendRequest(.GET, "/conversations/\(id)", headers: s.headers)
            let html = page.body.string
            #expect(html.contains("Καλημέρα, το ελέγχουμε.") && html.contains("Check with the courier"))
            #expect(html.contains("Ανατέθηκε σε Eleni")) // system event, in Eleni's language
            #expect(html.contains("Επείγουσα"))
            // Invalid choices are a clear 4xx, not a crash.
            #expect(try await postForm(app, "/conversations/\(id)/update", as: s, ["status": "exploded"]).status == .unprocessableEntity)
            #expect(try await postForm(app, "/conversations/\(id)/update", as: s, ["assignee": "999999"]).status == .unprocessableEntity)
            let audit = try await store.audit.entries(cursor: nil, limit: 50, action: "conversation.update")
            #expect(!audit.items.isEmpty)
        }
    }

    @Test("assign to me, resolve and next conversation shortcuts")
    func shortcuts() async throws {
        try await withCareApp { app, f in
            let first = try await Self.ingest(app, from: "a@example.gr")
            let second = try await Self.ingest(app, from: "b@example.gr")
            let s = try await signIn(app, email: f.agentA.email)
            _ = try await postForm(app, "/conversations/\(second.conversationId)/assign-to-me", as: s, [:])
            _ = try await postForm(app, "/conversations/\(second.conversationId)/resolve", as: s, [:])
            let c = try await Conversation.find(second.conversationId, on: app.care.store.db)!
            #expect(c.$assignee.id == f.agentA.id && c.status == .resolved)
            let next = try await app.testing().sendRequest(.GET, "/conversations/\(second.conversationId)/next", headers: s.headers)
            #expect(next.headers.first(name: .location) == "/conversations/\(first.conversationId)")
        }
    }

    @Test("Customer 360 shows identities and the timeline; supervisors merge, agents may not")
    func customerMerge() async throws {
        try await withCareApp { app, f in
            let a = try await Self.ingest(app, from: "nikos@example.gr", name: "Νίκος", text: "Πρώτο μήνυμα")
            let b = try await app.care.store.ingestion.ingest(InboundMessage(channel: .sms, sender: IdentityAddress(kind: .phone, address: "+306970000001"), text: "Δεύτερο από SMS"))
            let agent = try await signIn(app, email: f.agentA.email)
            #expect(try await postForm(app, "/customers/\(a.customerId)/merge", as: agent, ["source": String(b.customerId)]).status == .forbidden)
            let sup = try await signIn(app, email: f.supervisor.email)
            #expect(try await postForm(app, "/customers/\(a.customerId)/merge", as: sup, ["source": String(b.customerId)]).status == .seeOther)
            let page = try await app.testing().sendRequest(.GET, "/customers/\(a.customerId)", headers: sup.headers).body.string
            #expect(page.contains("nikos@example.gr") && page.contains("+306970000001"))
            #expect(page.contains("Πρώτο μήνυμα") && page.contains("Δεύτερο από SMS"))
            // Newest first.
            #expect(page.range(of: "Δεύτερο από SMS")!.lowerBound < page.range(of: "Πρώτο μήνυμα")!.lowerBound)
            let old = try await app.testing().sendRequest(.GET, "/customers/\(b.customerId)", headers: sup.headers)
            #expect(old.headers.first(name: .location) == "/customers/\(a.customerId)")
            let audit = try await app.care.store.audit.entries(cursor: nil, limit: 10, action: "customer.merge")
            #expect(audit.items.count == 1)
        }
    }

    @Test("admin pages: agents see 403; admins create agents, teams and tokens, shown once and stored hashed")
    func admin() async throws {
        try await withCareApp { app, f in
            let agent = try await signIn(app, email: f.agentA.email)
            #expect(try await app.testing().sendRequest(.GET, "/admin/agents", headers: agent.headers).status == .forbidden)
            #expect(try await postForm(app, "/admin/teams", as: agent, ["name": "Sneaky"]).status == .forbidden)
            let admin = try await signIn(app, email: f.admin.email)
            #expect(try await postForm(app, "/admin/teams", as: admin, ["name": "Podrška Split"]).status == .seeOther)
            let team = try await app.care.store.agents.teams().first { $0.name == "Podrška Split" }
            let created = try await postForm(app, "/admin/agents", as: admin, [
                "name": "Marko Marić", "email": "marko@test.local", "password": "long-enough-pw", "role": "agent",
                "language": "hr", "timeZone": "Europe/Zagreb", "teams[]": String(try #require(team?.id)),
            ])
            #expect(created.status == .seeOther)
            let marko = try #require(try await app.care.store.agents.find(email: "marko@test.local"))
            #expect(marko.teams.map(\.name) == ["Podrška Split"] && marko.passwordHash.hasPrefix("$2"))
            let short = try await postForm(app, "/admin/agents", as: admin, ["name": "X", "email": "x@test.local", "password": "short", "role": "agent", "language": "en"])
            #expect(short.status == .unprocessableEntity)
            let tokenPage = try await postForm(app, "/admin/tokens", as: admin, ["name": "billing", "agent": String(marko.id!)])
            let html = tokenPage.body.string
            let start = try #require(html.range(of: "<code id=\"new-token\">"))
            let token = String(html[start.upperBound...].prefix { $0 != "<" })
            #expect(token.hasPrefix("cdk_"))
            let stored = try await ApiToken.query(on: app.care.store.db).filter(\.$name == "billing").first()
            #expect(stored?.tokenHash == Secrets.sha256(token) && stored?.tokenHash != token)
            let api = try await app.testing().sendRequest(.GET, "/api/v1/agents", headers: .bearer(token))
            #expect(api.status == .ok)
            let audit = try await app.testing().sendRequest(.GET, "/admin/audit", headers: admin.headers).body.string
            #expect(audit.contains("token.create") && audit.contains("agent.create") && audit.contains("team.create") && audit.contains("signin"))
        }
    }

    @Test("the agent's language and time zone shape the page")
    func localisation() async throws {
        try await withCareApp { app, f in
            _ = try await Self.ingest(app)
            let ivana = try await signIn(app, email: f.agentB.email)
            let html = try await app.testing().sendRequest(.GET, "/inbox", headers: ivana.headers).body.string
            #expect(html.contains("lang=\"hr\"") && html.contains("Pristigli") && html.contains("Nedodijeljeni"))
            _ = try await postForm(app, "/profile", as: ivana, ["language": "en", "timeZone": "Europe/London"])
            let after = try await app.testing().sendRequest(.GET, "/inbox", headers: ivana.headers).body.string
            #expect(after.contains("lang=\"en\"") && after.contains("Unassigned"))
            #expect(try await postForm(app, "/profile", as: ivana, ["timeZone": "Mars/Olympus"]).status == .unprocessableEntity)
        }
    }

    @Test("search finds Greek and Croatian text without accents, within what the agent may see", arguments: TestDatabase.available)
    func search(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let greek = try await Self.ingest(app, from: "g@example.gr", name: "Γιώργος Παπαδόπουλος", text: "Έχω ένα Παράπονο για τη ΔΕΗ", subject: "Παράπονο")
            _ = try await Self.ingest(app, from: "z@example.hr", name: "Željko Đurić", text: "Želim promijeniti rezervaciju")
            let hidden = try await Self.ingest(app, from: "h@example.hr", name: "Hidden Person", text: "Želim tajni povrat")
            let store = app.care.store
            try await store.conversations.update(hidden.conversationId, ConversationChanges(teamId: .some(f.teamB)), by: try f.viewer(f.admin, store))
            let eleni = try f.viewer(f.agentA, store)
            let g = try await store.search.search("παραπονο", for: eleni)
            #expect(g.conversations.map(\.id) == [greek.conversationId])
            #expect(g.messages.count == 1)
            #expect(try await store.search.search("ΠΑΠΑΔΟΠΟΥΛΟΣ", for: eleni).customers.count == 1)
            #expect(try await store.search.search("papado", for: eleni).customers.isEmpty) // no transliteration, by design
            let z = try await store.search.search("zelim", for: eleni)
            #expect(z.messages.count == 1) // the other team's message is not shown to Eleni
            #expect(try await store.search.search("zelim", for: try f.viewer(f.agentB, store)).messages.count == 2)
            #expect(try await store.search.search("djuric OR \"x", for: eleni).customers.isEmpty) // operators are inert
            #expect(try await store.search.search("duric", for: eleni).customers.count == 1)
            // The words of a customer's notes find the customer too.
            _ = try await store.customers.update(greek.customerId, name: nil, language: nil, attributes: nil,
                                                 notes: .some("Προτιμά τηλεφωνική επικοινωνία"), by: eleni)
            #expect(try await store.search.search("τηλεφωνικη", for: eleni).customers.map(\.id) == [greek.customerId])
            #expect(try await store.search.search("ΠΑΠΑΔΟΠΟΥΛΟΣ", for: eleni).customers.count == 1)
            let s = try await signIn(app, email: f.agentA.email)
            let page = try await app.testing().sendRequest(.GET, "/search?q=%CE%B3%CE%B9%CF%89%CF%81%CE%B3%CE%BF%CF%82", headers: s.headers)
            #expect(page.body.string.contains("Γιώργος Παπαδόπουλος"))
        }
    }

    @Test("health, readiness and metrics")
    func operations() async throws {
        try await withCareApp { app, _ in
            #expect(try await app.testing().sendRequest(.GET, "/healthz").status == .ok)
            #expect(try await app.testing().sendRequest(.GET, "/readyz").status == .ok)
            let m = try await app.testing().sendRequest(.GET, "/metrics")
            #expect(m.body.string.contains("caredesk_http_requests_total"))
        }
    }
}
