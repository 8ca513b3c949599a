import Foundation
import Testing
@testable import CareCore

@Suite("AllowedOrigins")
struct AllowedOriginsTests {
    @Test func emptyTextGivesAnEmptyListThatAllowsEverything() throws {
        for text in ["", "   ", "\n\n", " , ,\n"] {
            let origins = try AllowedOrigins(parsing: text)
            #expect(origins.isEmpty)
            #expect(origins.origins == [])
        }
        let all = try AllowedOrigins(parsing: "")
        #expect(all.allows(nil))
        #expect(all.allows("null"))
        #expect(all.allows("https://anything.example"))
        #expect(all.text == "")
    }

    @Test func parsesLinesCommasAndSpaces() throws {
        let origins = try AllowedOrigins(parsing: """
            https://example.gr
            https://shop.example.gr, http://localhost:8080  https://*.example.hr
            \thttps://example.gr/
            """)
        #expect(origins.origins == [
            "https://example.gr", "https://shop.example.gr", "http://localhost:8080", "https://*.example.hr",
        ])
        #expect(origins.text == "https://example.gr\nhttps://shop.example.gr\nhttp://localhost:8080\nhttps://*.example.hr")
        #expect(try AllowedOrigins(parsing: origins.text) == origins)
        #expect(AllowedOrigins(origins.origins) == origins)
    }

    @Test("Normalization", arguments: [
        ("HTTPS://Example.GR", "https://example.gr"),
        ("https://example.gr/", "https://example.gr"),
        ("https://example.gr:443", "https://example.gr"),
        ("http://example.gr:80/", "http://example.gr"),
        ("https://example.gr:80", "https://example.gr:80"),
        ("http://example.gr:443", "http://example.gr:443"),
        ("https://example.gr:08443", "https://example.gr:8443"),
        ("https://*.Example.GR:443/", "https://*.example.gr"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://παράδειγμα.δοκιμή", "https://xn--hxajbheg2az3al.xn--jxalpdlp"),
        ("https://MÜNCHEN.de", "https://xn--mnchen-3ya.de"),
        ("https://bücher.example.hr", "https://xn--bcher-kva.example.hr"),
    ])
    func normalizes(input: String, expected: String) throws {
        #expect(try AllowedOrigins(parsing: input).origins == [expected])
    }

    @Test("Refused entries are named with the reason", arguments: [
        ("https://example.gr/widget", "has a path"),
        ("https://example.gr?x=1", "has a query"),
        ("https://example.gr#top", "has a fragment"),
        ("https://user@example.gr", "has a user name"),
        ("ftp://example.gr", "uses the scheme \"ftp\""),
        ("javascript://example.gr", "uses the scheme \"javascript\""),
        ("example.gr", "has no scheme"),
        ("*", "has no scheme"),
        ("https://*", "has a wildcard that is not allowed"),
        ("https://*.gr", "is too broad"),
        ("https://shop.*.example.gr", "has a wildcard that is not allowed"),
        ("https://*example.gr", "has a wildcard that is not allowed"),
        ("https://**.example.gr", "has a wildcard that is not allowed"),
        ("https://example.gr:0", "has an invalid port"),
        ("https://example.gr:70000", "has an invalid port"),
        ("https://example.gr:", "has an invalid port"),
        ("https://example.gr:1:2", "has more than one port"),
        ("https://exa_mple.gr", "has an invalid host name"),
        ("https://-example.gr", "has an invalid host name"),
        ("https://example..gr", "has an empty part"),
        ("https://", "has no host"),
        ("null", "is not a web site"),
    ])
    func refuses(entry: String, reason: String) {
        let error = #expect(throws: CareError.self) {
            try AllowedOrigins(parsing: "https://good.example.gr\n\(entry)")
        }
        #expect(error?.code == "origins.invalid")
        #expect(error?.kind == .invalid)
        #expect(error?.fieldErrors.map(\.field) == ["allowedOrigins"])
        #expect(error?.message.hasPrefix("\"\(entry)\" \(reason)") == true, "\(error?.message ?? "no error")")
    }

    @Test func allowsListedOriginsInAnyCaseAndWithDefaultPorts() throws {
        let origins = try AllowedOrigins(parsing: "https://example.gr\nhttp://localhost:8080")
        #expect(origins.allows("https://example.gr"))
        #expect(origins.allows("HTTPS://EXAMPLE.GR"))
        #expect(origins.allows("https://example.gr:443"))
        #expect(origins.allows("http://localhost:8080"))
    }

    @Test func deniesEverythingElse() throws {
        let origins = try AllowedOrigins(parsing: "https://example.gr, http://localhost:8080")
        #expect(!origins.allows(nil))  // no Origin header while a list is set
        #expect(!origins.allows("null"))
        #expect(!origins.allows("NULL"))
        #expect(!origins.allows(""))
        #expect(!origins.allows("http://example.gr"))  // other scheme
        #expect(!origins.allows("https://example.gr:8443"))  // other port
        #expect(!origins.allows("https://shop.example.gr"))  // subdomain without a wildcard
        #expect(!origins.allows("https://example.gr.evil.com"))
        #expect(!origins.allows("https://evilexample.gr"))
        #expect(!origins.allows("http://localhost"))
        #expect(!origins.allows("http://localhost:8081"))
        #expect(!origins.allows("https://example.gr/path"))  // not an origin at all
        #expect(!origins.allows("https://*.example.gr"))
    }

    @Test func subdomainWildcard() throws {
        let origins = try AllowedOrigins(parsing: "https://*.example.gr\nhttp://*.test.hr:8080")
        #expect(origins.allows("https://shop.example.gr"))
        #expect(origins.allows("https://a.b.example.gr"))
        #expect(origins.allows("https://SHOP.Example.gr:443"))
        #expect(!origins.allows("https://example.gr"))  // not the domain itself
        #expect(!origins.allows("http://shop.example.gr"))  // scheme must match
        #expect(!origins.allows("https://shop.example.gr:8443"))  // port must match
        #expect(!origins.allows("https://shopexample.gr"))
        #expect(!origins.allows("https://shop.example.gr.evil.com"))
        #expect(!origins.allows("https://.example.gr"))
        #expect(origins.allows("http://eu.test.hr:8080"))
        #expect(!origins.allows("http://eu.test.hr"))
        #expect(!origins.allows("http://test.hr:8080"))
    }

    @Test func internationalHostsMatchTheirPunycodeOrigin() throws {
        let origins = try AllowedOrigins(parsing: "https://παράδειγμα.δοκιμή")
        #expect(origins.allows("https://xn--hxajbheg2az3al.xn--jxalpdlp"))  // what browsers send
        #expect(!origins.allows("https://example.gr"))
    }

    @Test func duplicatesAreDropped() throws {
        let origins = try AllowedOrigins(parsing: "https://example.gr https://EXAMPLE.gr/ https://example.gr:443")
        #expect(origins.origins == ["https://example.gr"])
    }
}
