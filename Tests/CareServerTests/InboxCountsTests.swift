import CareCore
import CareData
@testable import CareServer
import FluentKit
import Foundation
import Testing

@Suite("Inbox counts at scale")
struct InboxCountsTests {
    /// The counts come from one GROUP BY and capped counts; they must equal a plain count of what each
    /// viewer may see, and say "at least" for finished statuses beyond the cap.
    @Test("counts match what each viewer sees, finished statuses capped", arguments: TestDatabase.available)
    func countsMatchVisibleConversations(db: TestDatabase) async throws {
        try await withCareApp(db) { app, f in
            let store = app.care.store
            // The bulk seeder (benchmarks) writes many conversations fast, spread over Team A and Team B.
            _ = try await BulkSeeder(store: store).seed(conversations: 2_600, messages: 2_600)
            // And a few the ordinary way: no team, then one assigned to agent A.
            for i in 0..<3 {
                _ = try await store.ingestion.ingest(InboundMessage(
                    channel: .sms, sender: IdentityAddress(kind: .phone, address: "+3069000000\(i)"), text: "Γεια σας \(i)"))
            }
            let loose = try await Conversation.query(on: store.db).filter(\.$team.$id == nil).first()!
            try await store.write { db in
                loose.$assignee.id = try f.agentA.requireID()
                try await loose.save(on: db)
            }

            let all = try await Conversation.query(on: store.db).all()
            for agent in [f.admin, f.agentA, f.agentB] {
                let viewer = try f.viewer(agent, store)
                let counts = try await store.conversations.counts(for: viewer)
                let visible = all.filter { viewer.canSee(teamId: $0.$team.id, assigneeId: $0.$assignee.id) }
                let active = visible.filter { $0.status.isActive }
                #expect(counts.allOpen == active.count)
                #expect(counts.mine == active.filter { $0.$assignee.id == viewer.agentId }.count)
                #expect(counts.unassigned == active.filter { $0.$assignee.id == nil }.count)
                for channel in CareCore.Channel.allCases {
                    #expect(counts.byChannel[channel] ?? 0 == active.filter { $0.channel == channel }.count)
                }
                for team in [f.teamA, f.teamB] {
                    #expect(counts.byTeam[team] ?? 0 == active.filter { $0.$team.id == team }.count)
                }
                for status in ConversationStatus.allCases {
                    let exact = visible.filter { $0.status == status }.count
                    if status.isActive {
                        #expect(counts.byStatus[status] ?? 0 == exact)
                        #expect(!counts.atLeast.contains(status))
                    } else {
                        #expect(counts.byStatus[status] == min(exact, InboxCounts.cap))
                        #expect(counts.atLeast.contains(status) == (exact >= InboxCounts.cap), "\(status): \(exact)")
                    }
                }
            }
            // The admin sees more than a thousand closed ones (2,600 seeded, about 97% finished, half closed).
            let admin = try await store.conversations.counts(for: try f.viewer(f.admin, store))
            #expect(admin.atLeast.contains(.closed) || admin.atLeast.contains(.resolved))
        }
    }
}
