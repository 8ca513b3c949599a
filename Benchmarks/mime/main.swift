// MIME parsing benchmark (issue target: at least 2,000 typical messages per second on one core).
// Built and run by Benchmarks/run-mime.sh; one thread, no SwiftPM:
//   swiftc -O -parse-as-library Benchmarks/mime/main.swift Sources/CareMail/MIME/*.swift
//   ./mime-bench <fixtures dir> <seconds> [fixtures|mix|pdf|gmail|…: one kind only, for perf]
//
// What one "message" costs here: ParsedMail(parsing:) on the raw bytes (headers, MIME tree,
// transfer and charset decoding, addresses, date, body selection, attachments decoded, auto-reply
// and bounce detection) plus reading text/HTML/attachments; the "+ quote split" line adds
// QuotedHistory.split of the readable text, as the ingestion does.
import Foundation

@main
struct MIMEBenchmark {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            print("usage: mime-bench <fixtures dir> [seconds]")
            exit(2)
        }
        let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20
        let fixtures = loadFixtures(arguments[1])
        let generated: [(String, [UInt8])] = [
            ("plain reply, quoted history", Generated.plainReply()),
            ("Gmail multipart/alternative", Generated.gmailAlternative()),
            ("Outlook HTML + PDF + image", Generated.outlookWithPDF()),
            ("Greek windows-1253 QP", Generated.greekWindows1253()),
        ]
        print("messages: \(fixtures.count) fixtures (\(kb(fixtures.reduce(0) { $0 + $1.count })) in all) + generated:")
        for (name, bytes) in generated {
            let mail = ParsedMail(parsing: bytes)
            print("  \(name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(kb(bytes.count)), "
                + "text \(mail.text.utf8.count) B, html \(mail.html?.utf8.count ?? 0) B, "
                + "\(mail.attachments.count) attachments, problems \(mail.problems.count)")
        }

        // For profiling: `mime-bench <dir> <seconds> <name part>` runs one kind only ("fixtures", "mix" or
        // a word of a generated message's name).
        if arguments.count > 3 {
            let only = arguments[3].lowercased()
            let chosen: [[UInt8]] = only == "fixtures" ? fixtures : only == "mix" ? fixtures + generated.map(\.1)
                : generated.filter { $0.0.lowercased().contains(only) }.map(\.1)
            report(only, run(chosen, seconds: seconds, split: false))
            return
        }

        // The mix: every fixture and every generated message once per round.
        let mix = fixtures + generated.map(\.1)
        let share = seconds / 10
        print("")
        print("one thread, \(String(format: "%.0f", seconds)) s in all; messages/s   MB/s   (ms per message)")
        report("mix (fixtures + generated)", run(mix, seconds: seconds * 0.4, split: false))
        report("mix + quote split", run(mix, seconds: share, split: true))
        report("fixtures only (60)", run(fixtures, seconds: share, split: false))
        for (name, bytes) in generated {
            report(name, run([bytes], seconds: share, split: false))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("")
        print("peak RSS: \(usage.ru_maxrss / 1024) MB")
    }

    struct Result {
        var messages: Int
        var bytes: Int
        var elapsed: Double
    }

    static func run(_ messages: [[UInt8]], seconds: Double, split: Bool) -> Result {
        var sink = 0
        // Warm-up: one round.
        for bytes in messages { sink &+= ParsedMail(parsing: bytes).text.utf8.count }
        var count = 0
        var total = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        var now = start
        repeat {
            for bytes in messages {
                let mail = ParsedMail(parsing: bytes)
                sink &+= mail.text.utf8.count &+ (mail.html?.utf8.count ?? 0) &+ mail.attachments.count
                if split {
                    let readable = mail.readableText(htmlToText: { $0 })
                    sink &+= QuotedHistory.split(readable).visible.utf8.count
                }
                total += bytes.count
            }
            count += messages.count
            now = DispatchTime.now().uptimeNanoseconds
        } while now < deadline
        if sink == Int.min { print("") }
        return Result(messages: count, bytes: total, elapsed: Double(now - start) / 1e9)
    }

    static func report(_ name: String, _ r: Result) {
        let rate = Double(r.messages) / r.elapsed
        let mbps = Double(r.bytes) / r.elapsed / 1_048_576
        let label = name.padding(toLength: 32, withPad: " ", startingAt: 0)
        print("  \(label) \(String(format: "%9.0f", rate))  \(String(format: "%6.1f", mbps))   (\(String(format: "%.3f", 1000 / rate)) ms)")
    }

    static func loadFixtures(_ directory: String) -> [[UInt8]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted().compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { [UInt8]($0) }
        }
    }

    static func kb(_ n: Int) -> String { String(format: "%.1f KB", Double(n) / 1024) }
}

/// "Typical" messages, made the way the clients make them. Deterministic.
enum Generated {
    static let englishParagraph = """
        Thank you for getting back to me so quickly. I tried the steps you described yesterday \
        evening: I signed out, cleared the cache and signed in again, but the invoice for October \
        still shows the old address. Could you check whether the change I made on the 3rd was saved? \
        My order number is 48213-A and the account is registered to this e-mail address.
        """
    static let greekParagraph = """
        Καλησπέρα σας, σας ευχαριστώ για την άμεση απάντηση. Δοκίμασα ό,τι μου γράψατε χθες το βράδυ, \
        αλλά το τιμολόγιο του Οκτωβρίου εξακολουθεί να δείχνει την παλιά διεύθυνση. Μπορείτε να ελέγξετε \
        αν αποθηκεύτηκε η αλλαγή που έκανα στις τρεις του μήνα; Ο αριθμός παραγγελίας είναι 48213.
        """
    static let croatianParagraph = """
        Poštovani, hvala na brzom odgovoru. Pokušao sam ono što ste mi napisali, ali račun za \
        listopad i dalje prikazuje staru adresu. Možete li provjeriti je li promjena spremljena?
        """

    static func crlf(_ s: String) -> [UInt8] {
        Array(s.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    static func wrap(_ text: String, width: Int = 72, prefix: String = "") -> String {
        var lines: [String] = []
        for paragraph in text.components(separatedBy: "\n") {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && line.count + 1 + word.count > width {
                    lines.append(prefix + line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            lines.append(prefix + line)
        }
        return lines.joined(separator: "\n")
    }

    /// Quoted-printable of bytes, soft line breaks at 76 columns; LF in the input ends a line.
    static func quotedPrintable(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        var column = 0
        for b in bytes {
            if b == 10 {
                out += [13, 10]
                column = 0
                continue
            }
            let piece: [UInt8] = (b >= 0x80 || b == UInt8(ascii: "=") || b < 0x20)
                ? [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 15)]] : [b]
            if column + piece.count > 75 {
                out += [UInt8(ascii: "="), 13, 10]
                column = 0
            }
            out += piece
            column += piece.count
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
    }

    /// xorshift: the same "binary" every run.
    static func pseudoRandomBytes(_ count: Int, seed: UInt64, header: String) -> [UInt8] {
        var state = seed
        var out = Array(header.utf8)
        while out.count < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            out.append(UInt8(truncatingIfNeeded: state))
        }
        return out
    }

    /// A 3 KB plain-text reply (Thunderbird/Apple Mail shape): short answer, "On … wrote:", quoted history.
    static func plainReply() -> [UInt8] {
        let answer = wrap(englishParagraph) + "\n\nBest regards,\nMaria Novak\n"
        var quoted = wrap("Dear Maria,\n" + englishParagraph + "\n" + englishParagraph, prefix: "> ")
        quoted += "\n>\n" + wrap("On 2 Feb 2025, at 17:40, Maria Novak <maria@example.com> wrote:\n"
            + englishParagraph + "\n" + englishParagraph, prefix: "> > ")
        let body = answer + "\nOn Mon, 3 Feb 2025 at 09:12, CareDesk Support <support@caredesk.example> wrote:\n" + quoted + "\n"
        return crlf("""
            Return-Path: <maria@example.com>
            Received: from mail.example.com (mail.example.com [192.0.2.10])
            \tby mx.caredesk.example with ESMTPS id 4F2A1; Mon, 3 Feb 2025 10:15:00 +0100
            Message-ID: <7c1e2a90-33f1-4b7e-9d0a-1f2e3d4c5b6a@example.com>
            Date: Mon, 3 Feb 2025 10:14:58 +0100
            MIME-Version: 1.0
            User-Agent: Mozilla Thunderbird
            From: Maria Novak <maria@example.com>
            To: CareDesk Support <support@caredesk.example>
            Subject: Re: Invoice address still wrong [#1234]
            In-Reply-To: <reply.1234.abc@caredesk.example>
            References: <first.1234@example.com> <reply.1234.abc@caredesk.example>
            Content-Type: text/plain; charset=UTF-8; format=flowed
            Content-Transfer-Encoding: 8bit

            \(body)
            """)
    }

    /// A Gmail reply of about 10 KB: multipart/alternative, text and HTML both quoted-printable UTF-8,
    /// the history in a gmail_quote blockquote.
    static func gmailAlternative() -> [UInt8] {
        let text = greekParagraph + "\n\n" + croatianParagraph + "\n\nΕλένη\n\nOn Mon, 3 Feb 2025 at 09:12, CareDesk Support <support@caredesk.example> wrote:\n"
            + wrap(englishParagraph + "\n" + englishParagraph + "\n" + greekParagraph, prefix: "> ") + "\n"
        let quote = "<p>" + englishParagraph + "</p><p>" + englishParagraph + "</p><p>" + greekParagraph + "</p>"
        let html = """
            <div dir="ltr"><div>\(greekParagraph)</div><div><br></div><div>\(croatianParagraph)</div><div><br></div>\
            <div>Ελένη</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Feb 2025 at \
            09:12, CareDesk Support &lt;<a href="mailto:support@caredesk.example">support@caredesk.example</a>&gt; wrote:<br></div>\
            <blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">\
            \(quote)\(quote)</blockquote></div>
            """
        return crlf("""
            MIME-Version: 1.0
            Date: Mon, 3 Feb 2025 10:14:58 +0200
            References: <first.1234@example.com> <reply.1234.abc@caredesk.example>
            In-Reply-To: <reply.1234.abc@caredesk.example>
            Message-ID: <CAJx8w=Gq0vH1kP2mT3nF4sR5tU6wX7yZ8aB9cD0eF1gH2iJ3k@mail.gmail.com>
            Subject: =?UTF-8?B?UmU6IM6gzrHPgc6sz4DOv869zr8gzrPOuc6xIM+EzrnOvM6/zrvPjM6zzrnOvw==?=
            From: =?UTF-8?B?zpXOu86tzr3OtyDOoM6xz4DOsc60zr/PgM6/z43Ou86/z4U=?= <eleni.p@gmail.com>
            To: CareDesk Support <support@caredesk.example>
            Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"

            --000000000000a1b2c3d4e5f60718
            Content-Type: text/plain; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable

            \(quotedPrintable(Array(text.utf8)))
            --000000000000a1b2c3d4e5f60718
            Content-Type: text/html; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable

            \(quotedPrintable(Array(html.utf8)))
            --000000000000a1b2c3d4e5f60718--

            """)
    }

    /// Outlook: mixed( related( alternative(text, html), image001.png ), a 100 KB PDF ), both base64.
    static func outlookWithPDF() -> [UInt8] {
        let pdf = pseudoRandomBytes(100 * 1024, seed: 0x9E37_79B9_7F4A_7C15, header: "%PDF-1.7\n%\u{e2}\u{e3}\n")
        let image = pseudoRandomBytes(6 * 1024, seed: 0x1234_5678_9ABC_DEF1, header: "\u{89}PNG\r\n\u{1a}\n")
        let text = englishParagraph + "\n\nKind regards,\nIvan Horvat\nAccounts | Example d.o.o.\n"
        let html = """
            <html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv="Content-Type" \
            content="text/html; charset=utf-8"><style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;\
            font-family:"Calibri",sans-serif;} --></style></head><body lang="HR" link="#0563C1"><div class="WordSection1">\
            <p class="MsoNormal">\(englishParagraph)</p><p class="MsoNormal">\(croatianParagraph)</p>\
            <p class="MsoNormal">Kind regards,<br>Ivan Horvat</p><p class="MsoNormal"><img width="120" height="40" \
            src="cid:image001.png@01DB7629.5E3F4A20" alt="Example"></p></div></body></html>
            """
        return crlf("""
            Received: from EUR05-AM6-obe.outbound.protection.outlook.com (mail-am6eur05on2100.outbound.protection.outlook.com [40.107.22.100])
            \tby mx.caredesk.example with ESMTPS id 7A1B2; Tue, 4 Feb 2025 08:01:12 +0100
            From: Ivan Horvat <ivan.horvat@example.hr>
            To: "support@caredesk.example" <support@caredesk.example>
            Subject: =?utf-8?B?UmHEjXVuIHphIGxpc3RvcGFk?=
            Thread-Topic: =?utf-8?B?UmHEjXVuIHphIGxpc3RvcGFk?=
            Thread-Index: AdtSx3Qk2s0b5p1XQyW6mQ3oL1VZ8A==
            Date: Tue, 4 Feb 2025 07:01:05 +0000
            Message-ID: <AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2@AM6PR05MB1234.eurprd05.prod.outlook.com>
            Accept-Language: hr-HR, en-US
            Content-Language: hr-HR
            X-MS-Has-Attach: yes
            X-MS-TNEF-Correlator:
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="_004_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_"

            --_004_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: multipart/related; boundary="_005_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_"; type="multipart/alternative"

            --_005_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: multipart/alternative; boundary="_000_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_"

            --_000_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: text/plain; charset="utf-8"
            Content-Transfer-Encoding: base64

            \(base64Lines(Array(text.utf8)))
            --_000_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: text/html; charset="utf-8"
            Content-Transfer-Encoding: base64

            \(base64Lines(Array(html.utf8)))
            --_000_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_--

            --_005_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: image/png; name="image001.png"
            Content-Description: image001.png
            Content-Disposition: inline; filename="image001.png"; size=6144
            Content-ID: <image001.png@01DB7629.5E3F4A20>
            Content-Transfer-Encoding: base64

            \(base64Lines(image))
            --_005_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_--

            --_004_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_
            Content-Type: application/pdf; name="=?utf-8?B?UmHEjXVuXzIwMjUtMTAucGRm?="
            Content-Description: =?utf-8?B?UmHEjXVuXzIwMjUtMTAucGRm?=
            Content-Disposition: attachment; filename*=utf-8''Ra%C4%8Dun_2025-10.pdf; size=102400
            Content-Transfer-Encoding: base64

            \(base64Lines(pdf))
            --_004_AM6PR05MB1234567A1B2C3D4E5F6A7B8C9D0E1F2AM6PR05MB1234eurp_--

            """)
    }

    /// Greek in windows-1253, quoted-printable (an older Outlook/Greek webmail), about 3 KB.
    static func greekWindows1253() -> [UInt8] {
        let text = greekParagraph + "\n\n" + greekParagraph + "\n\n-----Original Message-----\nFrom: CareDesk Support\n"
            + "Sent: Monday, February 3, 2025 9:12 AM\n\n" + greekParagraph + "\n" + greekParagraph + "\n"
        return crlf("""
            From: =?windows-1253?B?0OHw4eT88O/16+/y?= <papadopoulos@example.gr>
            To: support@caredesk.example
            Subject: =?windows-1253?Q?=D0=E1=F1=DC=F0=EF=ED=EF_=F4=E9=EC=EF=EB=EF=E3=DF=EF=F5?=
            Date: Mon, 3 Feb 2025 11:20:00 +0200
            Message-ID: <000a01db7629$5e3f4a20$1abcde60$@example.gr>
            MIME-Version: 1.0
            X-Mailer: Microsoft Outlook 14.0
            Content-Type: text/plain; charset="windows-1253"
            Content-Transfer-Encoding: quoted-printable

            \(quotedPrintable(windows1253(text)))
            """)
    }

    /// Greek letters and ASCII into windows-1253 (the letters without capital tonos map like
    /// ISO-8859-7: U+0388…U+03CE → 0xB8…0xFE).
    static func windows1253(_ s: String) -> [UInt8] {
        s.unicodeScalars.map { scalar in
            let v = scalar.value
            if v < 0x80 { return UInt8(v) }
            if v >= 0x0388 && v <= 0x03CE { return UInt8(v - 0x02D0) }
            if v == 0x0386 { return 0xA2 }
            return UInt8(ascii: "?")
        }
    }
}
