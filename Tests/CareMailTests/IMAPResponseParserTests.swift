import Foundation
import Testing
@testable import CareMail

@Suite("IMAP response framer and parser")
struct IMAPResponseParserTests {
    private func parse(_ text: String) throws -> IMAPResponse {
        try IMAPResponseParser.parse(Array(text.utf8))
    }

    /// Frames everything in `bytes`, fed in pieces of `chunk` bytes.
    private func frames(_ bytes: [UInt8], chunk: Int, maxLiteral: Int = 1 << 20) throws -> [IMAPResponse] {
        var framer = IMAPResponseFramer(maxLiteralSize: maxLiteral)
        var result: [IMAPResponse] = []
        var index = 0
        while index < bytes.count {
            framer.append(bytes[index..<min(bytes.count, index + chunk)])
            index += chunk
            while let frame = try framer.next() { result.append(IMAPResponseParser.parse(frame)) }
        }
        #expect(!framer.hasPartialResponse)
        return result
    }

    @Test func taggedAndUntaggedStatusWithCodes() throws {
        #expect(try parse("A1 OK [READ-WRITE] SELECT completed\r\n")
                == .tagged(tag: "A1", status: .ok, text: IMAPResponseText(code: "READ-WRITE", text: "SELECT completed")))
        #expect(try parse("A2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
                == .tagged(tag: "A2", status: .no, text: IMAPResponseText(code: "AUTHENTICATIONFAILED", text: "Authentication failed.")))
        #expect(try parse("* OK [UIDVALIDITY 1795569259] UIDs valid\r\n")
                == .status(.ok, IMAPResponseText(code: "UIDVALIDITY", codeArguments: [.atom("1795569259")], text: "UIDs valid")))
        #expect(try parse("* OK [PERMANENTFLAGS (\\Answered \\Seen \\*)] Flags permitted.\r\n")
                == .status(.ok, IMAPResponseText(code: "PERMANENTFLAGS",
                                                 codeArguments: [.list([.atom("\\Answered"), .atom("\\Seen"), .atom("\\*")])],
                                                 text: "Flags permitted.")))
        #expect(try parse("* BYE Server shutting down\r\n") == .status(.bye, IMAPResponseText(text: "Server shutting down")))
        // Bare LF is accepted; a text with an unbalanced quote or parenthesis is just text.
        #expect(try parse("a7 BAD Error in IMAP command \"x (y\n")
                == .tagged(tag: "a7", status: .bad, text: IMAPResponseText(text: "Error in IMAP command \"x (y")))
    }

    @Test func numberedAndDataResponses() throws {
        #expect(try parse("* 23 EXISTS\r\n") == .numbered(23, "EXISTS", []))
        #expect(try parse("* 5 recent\r\n") == .numbered(5, "RECENT", []))
        #expect(try parse("* 3 EXPUNGE\r\n") == .numbered(3, "EXPUNGE", []))
        #expect(try parse("* SEARCH 2 84 882\r\n") == .data("SEARCH", [.atom("2"), .atom("84"), .atom("882")]))
        #expect(try parse("* SEARCH\r\n") == .data("SEARCH", []))
        #expect(try parse("* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN LITERAL+\r\n")
                == .data("CAPABILITY", ["IMAP4rev1", "IDLE", "AUTH=PLAIN", "LITERAL+"].map { .atom($0) }))
        #expect(try parse("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")
                == .data("FLAGS", [.list(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"].map { .atom($0) })]))
    }

    @Test func quotedStringsWithEscapesAndNil() throws {
        let response = try parse(#"* LIST (\HasNoChildren) "/" "Support \"VIP\" \\ desk"\#r\#n"#)
        #expect(response == .data("LIST", [.list([.atom("\\HasNoChildren")]), .string(Array("/".utf8)),
                                           .string(Array(#"Support "VIP" \ desk"#.utf8))]))
        #expect(try parse("* LIST () NIL INBOX\r\n") == .data("LIST", [.list([]), .null, .atom("INBOX")]))
    }

    @Test func nestedLists() throws {
        let text = "* 1 FETCH (UID 4 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 1)"
            + "(\"text\" \"html\" NIL NIL NIL \"base64\" 30 1) \"alternative\") FLAGS ())\r\n"
        let attributes = try #require(IMAPFetchAttributes(try parse(text)))
        #expect(attributes.uid == 4)
        #expect(attributes.flags == [])
        let structure = try #require(attributes.values["BODYSTRUCTURE"]?.list)
        #expect(structure.count == 3)
        #expect(structure[0].list?[2] == .list([.string(Array("charset".utf8)), .string(Array("utf-8".utf8))]))
        #expect(structure[2] == .string(Array("alternative".utf8)))
    }

    @Test func fetchWithBodyLiteralAndUIDInEitherOrder() throws {
        let message = "Subject: hi\r\n\r\n{5}\r\n) \"odd\" (\r\n* 9 EXISTS\r\n"
        let size = message.utf8.count
        let first = "* 12 FETCH (UID 77 RFC822.SIZE \(size) BODY[] {\(size)}\r\n\(message))\r\n"
        let second = "* 12 FETCH (BODY[] {\(size)}\r\n\(message) UID 77 FLAGS (\\Seen))\r\n"
        for text in [first, second] {
            for chunk in [1, 7, 4096] {
                let responses = try frames(Array((text + "A5 OK done\r\n").utf8), chunk: chunk)
                #expect(responses.count == 2)
                let attributes = try #require(IMAPFetchAttributes(responses[0]))
                #expect(attributes.sequenceNumber == 12)
                #expect(attributes.uid == 77)
                #expect(attributes.body == .string(Array(message.utf8)))
                #expect(responses[1] == .tagged(tag: "A5", status: .ok, text: IMAPResponseText(text: "done")))
            }
        }
    }

    @Test func literalFormsAndBinaryBytes() throws {
        var bytes = Array("* 3 FETCH (UID 9 BODY[] {4+}\r\n".utf8) + [0x00, 0xFF, 0x0D, 0x0A] + Array(")\r\n".utf8)
        var attributes = try #require(IMAPFetchAttributes(try IMAPResponseParser.parse(bytes)))
        #expect(attributes.body == .string([0x00, 0xFF, 0x0D, 0x0A]))
        bytes = Array("* 3 FETCH (UID 9 BINARY[] ~{2}\r\nab)\r\n".utf8)
        attributes = try #require(IMAPFetchAttributes(try IMAPResponseParser.parse(bytes)))
        #expect(attributes.body == .string(Array("ab".utf8)))
        // An empty literal and a literal as a list item (a LIST name with a line break in it).
        #expect(try IMAPResponseParser.parse(Array("* LIST () \"/\" {0}\r\n\r\n".utf8))
                == .data("LIST", [.list([]), .string(Array("/".utf8)), .string([])]))
        #expect(try IMAPResponseParser.parse(Array("* X ({3}\r\na\nb {1}\r\nc)\r\n".utf8))
                == .data("X", [.list([.string(Array("a\nb".utf8)), .string(Array("c".utf8))])]))
        // A section with spaces and a partial suffix is one atom.
        attributes = try #require(IMAPFetchAttributes(try parse("* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)]<0> {2}\r\nab UID 3)\r\n")))
        #expect(attributes.values["BODY[HEADER.FIELDS (FROM TO)]<0>"] == .string(Array("ab".utf8)))
        #expect(attributes.uid == 3)
    }

    @Test func continuationRequests() throws {
        #expect(try parse("+ idling\r\n") == .continuation("idling"))
        #expect(try parse("+\r\n") == .continuation(""))
        #expect(try parse("+ Ready for literal data\r\n") == .continuation("Ready for literal data"))
        // A status text ending in something that looks like a literal is not a literal.
        let responses = try frames(Array("+ send {5}\r\n* OK see {3}\r\nA1 NO odd {2}\r\n* 1 EXISTS\r\n".utf8), chunk: 3)
        #expect(responses == [.continuation("send {5}"), .status(.ok, IMAPResponseText(text: "see {3}")),
                              .tagged(tag: "A1", status: .no, text: IMAPResponseText(text: "odd {2}")), .numbered(1, "EXISTS", [])])
    }

    @Test func oversizedLiteralsAreSkippedNotStored() throws {
        let body = String(repeating: "x", count: 5000)
        let text = "* 1 FETCH (UID 8 RFC822.SIZE 5000 BODY[] {5000}\r\n\(body))\r\nA9 OK done\r\n"
        let responses = try frames(Array(text.utf8), chunk: 1000, maxLiteral: 4096)
        let attributes = try #require(IMAPFetchAttributes(responses[0]))
        #expect(attributes.body == .oversizedLiteral(5000))
        #expect(attributes.size == 5000)
        #expect(responses[1] == .tagged(tag: "A9", status: .ok, text: IMAPResponseText(text: "done")))
    }

    @Test func unreadableLinesDoNotStopTheStream() throws {
        let responses = try frames(Array("* 1 FETCH (UID 2 \"unterminated\r\n)))\r\n* LIST ((((\r\nA1 OK fine\r\n".utf8), chunk: 5)
        #expect(responses.count == 4)
        if case .unreadable = responses[0] {} else { Issue.record("expected unreadable, got \(responses[0])") }
        #expect(responses[3] == .tagged(tag: "A1", status: .ok, text: IMAPResponseText(text: "fine")))
    }

    @Test func overlongLineIsAnError() throws {
        var framer = IMAPResponseFramer(maxLiteralSize: 100, maxLineLength: 1000)
        framer.append(Array(repeating: UInt8(ascii: "a"), count: 2000))
        #expect(throws: IMAPError.self) { _ = try framer.next() }
    }

    @Test func commandEncoding() {
        #expect(IMAPEncoding.astring("user@example.com") == .text("user@example.com"))
        #expect(IMAPEncoding.astring("pa ss\"\\") == .text(#""pa ss\"\\""#))
        #expect(IMAPEncoding.astring("") == .text("\"\""))
        #expect(IMAPEncoding.astring("κωδικός") == .literal(Array("κωδικός".utf8)))
        #expect(IMAPEncoding.modifiedUTF7("Processed") == "Processed")
        #expect(IMAPEncoding.modifiedUTF7("A&B") == "A&-B")
        // RFC 3501's example: "~peter/mail/台北/日本語".
        #expect(IMAPEncoding.modifiedUTF7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        #expect(IMAPEncoding.mailbox("inbox") == .text("INBOX"))
        #expect(IMAPEncoding.mailbox("Πελάτες") == .text("&A6ADtQO7A6wDxAO1A8I-"))
    }
}
