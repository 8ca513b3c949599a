import CareCore
import CareData
import FluentKit
import Foundation
import Vapor

enum InboxController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get("inbox", use: page)
        routes.get("inbox", "rows", use: rows)
    }

    struct Row: Encodable {
        let id: Int
        let subject: String
        let customerName: String
        let customerId: Int
        let channel: String
        let channelLabel: String
        let status: String
        let statusLabel: String
        let priority: String
        let priorityLabel: String
        let assignee: String?
        let team: String?
        let tags: [String]
        let lastActivity: String
        let lastActivityISO: String
        let waiting: Bool
        /// How long the customer has been waiting for an answer ("waiting 12 min"), for rows that wait.
        let waitingFor: String?
    }

    struct NavItem: Encodable {
        let label: String
        let href: String
        let count: String
        let active: Bool
    }

    struct InboxPage: Encodable {
        let chrome: PageChrome
        let heading: String
        let rows: [Row]
        let nextHref: String?
        let firstHref: String?
        let views: [NavItem]
        let teams: [NavItem]
        let channels: [NavItem]
        let statuses: [NavItem]
        let sorts: [NavItem]
        let query: String
        let empty: Bool
    }

    /// The inbox state lives in the URL so every view can be bookmarked and reloaded live.
    struct Selection {
        var view = "open"
        var teamId: Int?
        var channel: CareCore.Channel?
        var status: ConversationStatus?
        var sort: InboxFilter.Sort = .recent
        var cursor: String?

        init(_ req: Request) {
            view = req.query[String.self, at: "view"] ?? "open"
            teamId = req.query[Int.self, at: "team"]
            channel = req.query[String.self, at: "channel"].flatMap(CareCore.Channel.init(rawValue:))
            status = req.query[String.self, at: "status"].flatMap(ConversationStatus.init(rawValue:))
            sort = req.query[String.self, at: "sort"].flatMap(InboxFilter.Sort.init(rawValue:)) ?? .recent
            cursor = req.query[String.self, at: "cursor"]
        }

        var filter: InboxFilter {
            var f = InboxFilter(sort: sort)
            switch view {
            case "mine": f.assignee = .me
            case "unassigned": f.assignee = .unassigned
            default: break
            }
            f.teamId = teamId
            f.channel = channel
            if let status { f.statuses = [status] } else if view == "all" { f.statuses = [] }
            return f
        }

        func query(view: String? = nil, team: Int?? = nil, channel: CareCore.Channel?? = nil, status: ConversationStatus?? = nil,
                   sort: InboxFilter.Sort? = nil, cursor: String? = nil) -> String {
            var items: [URLQueryItem] = [URLQueryItem(name: "view", value: view ?? self.view)]
            if let t = team ?? self.teamId { items.append(URLQueryItem(name: "team", value: String(t))) }
            if let c = channel ?? self.channel { items.append(URLQueryItem(name: "channel", value: c.rawValue)) }
            if let s = status ?? self.status { items.append(URLQueryItem(name: "status", value: s.rawValue)) }
            items.append(URLQueryItem(name: "sort", value: (sort ?? self.sort).rawValue))
            if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
            var c = URLComponents()
            c.queryItems = items
            return c.percentEncodedQuery ?? ""
        }
    }

    static func page(req: Request) async throws -> View {
        try await req.view.render("inbox", try await build(req))
    }

    /// Just the rows and counts, for live refreshes without reloading the page.
    static func rows(req: Request) async throws -> View {
        try await req.view.render("inbox-rows", try await build(req))
    }

    static func build(_ req: Request) async throws -> InboxPage {
        let viewer = try req.viewer
        let sel = Selection(req)
        let page = try await req.store.conversations.list(sel.filter, for: viewer, cursor: sel.cursor, limit: PageSize.default)
        let counts = try await req.store.conversations.counts(for: viewer)
        let teams = try await req.store.agents.teams()
        let rows = try await makeRows(page.items, req: req)
        let n = { (x: Int) in req.care.translator.formatNumber(x, req.uiLanguage) }
        let plain = Selection(req)

        let views = [("mine", "inbox.view.mine", counts.mine), ("unassigned", "inbox.view.unassigned", counts.unassigned),
                     ("open", "inbox.view.open", counts.allOpen)].map { key, label, count in
            NavItem(label: req.t(label), href: "/inbox?view=\(key)", count: n(count),
                    active: sel.view == key && sel.teamId == nil && sel.channel == nil && sel.status == nil)
        }
            // Live chats are answered within minutes: the ones waiting longest first.
            + [NavItem(label: req.t("inbox.view.chats"), href: "/inbox?view=open&channel=chat&sort=oldest",
                       count: n(counts.byChannel[.chat] ?? 0), active: sel.channel == .chat && sel.sort == .oldest && sel.status == nil)]
        let visibleTeams = teams.filter { viewer.role.seesAllConversations || viewer.teamIds.contains($0.id!) }
        let teamItems = visibleTeams.map { (t: Team) -> NavItem in
            let id = t.id!
            return NavItem(label: t.name, href: "/inbox?view=open&team=\(id)", count: n(counts.byTeam[id] ?? 0), active: sel.teamId == id)
        }
        let channelItems = CareCore.Channel.allCases.filter { (counts.byChannel[$0] ?? 0) > 0 || sel.channel == $0 }.map { c in
            NavItem(label: req.label("channel", c.rawValue), href: "/inbox?view=open&channel=\(c.rawValue)",
                    count: n(counts.byChannel[c] ?? 0), active: sel.channel == c)
        }
        let statusItems = ConversationStatus.allCases.map { s in
            NavItem(label: req.label("status", s.rawValue), href: "/inbox?view=all&status=\(s.rawValue)",
                    count: n(counts.byStatus[s] ?? 0) + (counts.atLeast.contains(s) ? "+" : ""), active: sel.status == s)
        }
        let sorts = InboxFilter.Sort.allCases.map { s in
            NavItem(label: req.t("inbox.sort.\(s.rawValue)"), href: "/inbox?" + plain.query(sort: s), count: "", active: sel.sort == s)
        }
        var heading = req.t("inbox.view.\(sel.view)")
        if let t = sel.teamId, let team = teams.first(where: { $0.id == t }) { heading = team.name }
        if let c = sel.channel { heading += " · " + req.label("channel", c.rawValue) }
        if let s = sel.status { heading = req.label("status", s.rawValue) }
        return InboxPage(
            chrome: try PageChrome(req, page: "inbox", title: heading), heading: heading, rows: rows,
            nextHref: page.nextCursor.map { "/inbox?" + plain.query(cursor: $0) },
            firstHref: sel.cursor == nil ? nil : "/inbox?" + plain.query(),
            views: views, teams: teamItems, channels: channelItems, statuses: statusItems, sorts: sorts,
            query: plain.query(cursor: sel.cursor), empty: rows.isEmpty)
    }

    static func makeRows(_ conversations: [Conversation], req: Request) async throws -> [Row] {
        let customerIds = Array(Set(conversations.map { $0.$customer.id }))
        let customers = try await Customer.query(on: req.store.db).filter(\.$id ~~ customerIds).all()
        let names = Dictionary(uniqueKeysWithValues: customers.map { ($0.id!, $0.name) })
        let agents = Dictionary(uniqueKeysWithValues: try await req.store.agents.all().map { ($0.id!, $0.name) })
        let teams = Dictionary(uniqueKeysWithValues: try await req.store.agents.teams().map { ($0.id!, $0.name) })
        return conversations.map { c in
            Row(id: c.id!, subject: c.subject, customerName: names[c.$customer.id] ?? "?", customerId: c.$customer.id,
                channel: c.channelRaw, channelLabel: req.label("channel", c.channelRaw),
                status: c.statusRaw, statusLabel: req.label("status", c.statusRaw),
                priority: c.priorityRaw, priorityLabel: req.label("priority", c.priorityRaw),
                assignee: c.$assignee.id.flatMap { agents[$0] }, team: c.$team.id.flatMap { teams[$0] },
                tags: c.tagNames, lastActivity: req.formatDate(c.lastMessageAt), lastActivityISO: req.isoDate(c.lastMessageAt),
                waiting: c.waitingSince != nil && c.status.isActive,
                waitingFor: c.status.isActive ? c.waitingSince.map { req.t("inbox.waiting_for", waitDuration(since: $0, req: req)) } : nil)
        }
    }

    /// "12 min", "2 h 05 min", "3 d 4 h" in the agent's language.
    static func waitDuration(since: Date, req: Request) -> String {
        let minutes = max(0, Int(req.store.clock.now().timeIntervalSince(since) / 60))
        if minutes < 60 { return req.t("duration.minutes", String(minutes)) }
        if minutes < 24 * 60 { return req.t("duration.hours", String(minutes / 60), String(format: "%02d", minutes % 60)) }
        return req.t("duration.days", String(minutes / 1440), String(minutes % 1440 / 60))
    }
}
