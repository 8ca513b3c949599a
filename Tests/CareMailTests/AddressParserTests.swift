import Testing
@testable import CareMail

@Suite("Addresses and message ids")
struct AddressParserTests {
    @Test func quotedNamesWithCommas() {
        let list = AddressParser.parseList("\"Doe, John\" <john@example.com>, Ana <ana@example.hr>")
        #expect(list == [
            MailAddress(name: "Doe, John", address: "john@example.com"),
            MailAddress(name: "Ana", address: "ana@example.hr"),
        ])
    }

    @Test func encodedWordNames() {
        let list = AddressParser.parseList("=?UTF-8?B?zpPOuc6szr3Ovc63z4I=?= =?UTF-8?B?zqDOsc+AzrHOtM+Mz4DOv8+FzrvOv8+C?= <g@example.gr>")
        #expect(list.first?.name == "ΓιάννηςΠαπαδόπουλος")
        let spaced = AddressParser.parseList("=?UTF-8?Q?Ivana_=C4=90ur=C4=91evi=C4=87?= <ivana@example.hr>")
        #expect(spaced.first?.name == "Ivana Đurđević")
        let quotedWord = AddressParser.parseList("\"=?utf-8?Q?=C5=A0ari=C4=87,_Ana?=\" <ana@example.hr>")
        #expect(quotedWord == [MailAddress(name: "Šarić, Ana", address: "ana@example.hr")])
    }

    @Test func groupsAndEmptyGroups() {
        let list = AddressParser.parseList("Team: a@example.com, \"B, Bee\" <b@example.com>;, c@example.com, undisclosed-recipients:;")
        #expect(list == [
            MailAddress(address: "a@example.com", group: "Team"),
            MailAddress(name: "B, Bee", address: "b@example.com", group: "Team"),
            MailAddress(address: "c@example.com"),
        ])
    }

    @Test func angleLessAddresses() {
        #expect(AddressParser.parseList("plain@example.com") == [MailAddress(address: "plain@example.com")])
        #expect(AddressParser.parseList("plain@example.com (Plain Person)") == [MailAddress(name: "Plain Person", address: "plain@example.com")])
        #expect(AddressParser.parseList("Broken Name broken@example.com") == [MailAddress(name: "Broken Name", address: "broken@example.com")])
        #expect(AddressParser.parseList("<@relay.example:routed@example.com>") == [MailAddress(address: "routed@example.com")])
        #expect(AddressParser.parseList("'Single Quoted' <s@example.com>").first?.name == "Single Quoted")
    }

    @Test func oddInputDoesNotCrash() {
        for input in ["", ",,,", "<", ">", "\"unterminated", "(comment", "a@", "@", ";;::", "<a@b", "Name <>", "\\"] {
            let list = AddressParser.parseList(input)
            #expect(list.allSatisfy { !$0.address.isEmpty || $0.name != nil })
        }
        #expect(AddressParser.parseList("a@").first?.isValid == false)
        #expect(MailAddress(address: "x@y").isValid)
    }

    @Test func messageIdLists() {
        #expect(AddressParser.parseMessageIds("<a@x>") == ["a@x"])
        #expect(AddressParser.parseMessageIds("<a@x>\r\n <b@y> (comment <c@z>) <a@x>") == ["a@x", "b@y"])
        #expect(AddressParser.parseMessageIds("<a@x><b@y>") == ["a@x", "b@y"])
        #expect(AddressParser.parseMessageIds("  bare@id.example  ") == ["bare@id.example"])
        #expect(AddressParser.parseMessageIds("\"quoted <q@x>\" <real@x>") == ["real@x"])
        #expect(AddressParser.parseMessageIds("<broken") == [])
    }
}
