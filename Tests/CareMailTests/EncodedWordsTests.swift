import Testing
@testable import CareMail

@Suite("RFC 2047 encoded words")
struct EncodedWordsTests {
    @Test("B and Q in many charsets", arguments: [
        ("=?UTF-8?B?zqDOsc+BzqzPgM6/zr3Ovw==?=", "Παράπονο"),
        ("=?iso-8859-7?Q?=D0=E1=F1=DC=F0=EF=ED=EF?=", "Παράπονο"),
        ("=?windows-1253?B?0OHx3PDv7e8=?=", "Παράπονο"),
        ("=?ISO-8859-2?Q?=AEalba_na_ra=E8un?=", "Žalba na račun"),
        ("=?windows-1250?q?=8Aari=E6?=", "Šarić"),
        ("=?koi8-r?B?+sHLwdo=?=", "Заказ"),
        ("=?utf-8*el?Q?=CE=91?=", "Α"),
        ("=?latin1?Q?caf=E9?=", "café"),
    ])
    func decodes(input: String, expected: String) {
        #expect(EncodedWords.decode(input) == expected)
    }

    @Test func whitespaceBetweenEncodedWordsIsDropped() {
        #expect(EncodedWords.decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab")
        #expect(EncodedWords.decode("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=") == "ab")
        #expect(EncodedWords.decode("=?UTF-8?Q?a?= b =?UTF-8?Q?c?=") == "a b c")
        #expect(EncodedWords.decode("Re: =?UTF-8?Q?a?= text") == "Re: a text")
    }

    @Test func characterSplitAcrossWordsSurvives() {
        // "Ελ" is CE 95 CE BB: the first word ends in the middle of Λ.
        #expect(EncodedWords.decode("=?UTF-8?B?zpXO?= =?UTF-8?B?uw==?=") == "Ελ")
    }

    @Test func mixedCharsetsInOneHeader() {
        let value = "=?iso-8859-7?Q?=C1=E8=DE=ED=E1_?= =?iso-8859-2?Q?i_Zagreb_=E8a=B9a?="
        #expect(EncodedWords.decode(value) == "Αθήνα i Zagreb čaša")
    }

    @Test func malformedWordsAreLeftAsIs() {
        for input in ["=?utf-8?X?abc?=", "=?utf-8?Q?no end", "=?utf-8?Q?has space?=", "=??Q?x?=", "plain =? text"] {
            #expect(EncodedWords.decode(input) == input)
        }
    }

    @Test func unknownCharsetInWordDecodesAsUTF8() {
        #expect(EncodedWords.decode("=?x-unknown?Q?caf=C3=A9?=") == "café")
    }

    @Test func controlCharactersInDecodedTextBecomeSpaces() {
        #expect(EncodedWords.decode("=?utf-8?Q?a=0D=0Ab?=") == "a  b")
    }

    @Test func encodingProducesShortWordsThatRoundTrip() {
        let text = "Παράπονο για την παραγγελία 1234 και Đurđević čćšž"
        let words = EncodedWords.encode(text)
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 60 && $0.hasPrefix("=?UTF-8?B?") })
        #expect(EncodedWords.decode(words.joined(separator: "\r\n ")) == text)
    }
}
