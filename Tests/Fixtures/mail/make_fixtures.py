#!/usr/bin/env python3
"""Writes the CareMail fixture messages (*.eml) in this folder.

The messages are written by hand here, byte by byte, in the shapes real clients produce
(Gmail, Outlook, Apple Mail, Thunderbird, Postfix/Exim/qmail bounces, auto-replies), in the
charsets the help desk must read. Python is used only because it can write bytes in legacy
charsets (iso-8859-7, windows-1250, koi8-r, ...). The .eml files are committed; the test
expectations live in Tests/CareMailTests/FixtureCorpusTests.swift. Run from this folder:

    python3 make_fixtures.py
"""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))

GREEK_SUBJECT = "Παράπονο για την παραγγελία 1234"
GREEK_BODY = ("Καλησπέρα σας,\n\nΗ παραγγελία μου δεν έφτασε ακόμα. Παρακαλώ ενημερώστε με.\n\n"
              "Ευχαριστώ,\nΓιάννης Παπαδόπουλος\n")
GREEK_NAME = "Γιάννης Παπαδόπουλος"
CRO_SUBJECT = "Reklamacija narudžbe 1234 - čekam odgovor"
CRO_BODY = ("Poštovani,\n\nželim prijaviti problem s računom. Čekam odgovor već tjedan dana.\n\n"
            "Lijep pozdrav,\nIvana Đurđević\n")
CRO_NAME = "Ivana Đurđević"
RU_SUBJECT = "Заказ не пришёл"
RU_BODY = "Здравствуйте,\n\nмой заказ не пришёл. Ёлка, щётка и чай.\n"


def b_word(text, charset):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset_codec(charset))).decode())


def q_word(text, charset):
    out = []
    for b in text.encode(charset_codec(charset)):
        c = chr(b)
        if c == " ":
            out.append("_")
        elif c.isalnum() and b < 128:
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?%s?Q?%s?=" % (charset, "".join(out))


def charset_codec(name):
    n = name.lower().strip('"')
    return {"latin2": "iso8859_2", "greek": "iso8859_7", "cp1253": "cp1253", "utf8": "utf-8"}.get(n, n)


def qp(data):
    return quopri.encodestring(data.replace(b"\n", b"\r\n")).decode("ascii").replace("\r\n", "\n").replace("\n", "\r\n")


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def write(name, head, body, newline="\r\n", raw_body=None):
    """head: header lines (str); body: str (ASCII/already encoded) or raw bytes via raw_body."""
    data = newline.join(head).encode("utf-8") + (newline * 2).encode()
    if raw_body is not None:
        data += raw_body
    else:
        data += body.replace("\r\n", "\n").replace("\n", newline).encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def std_head(subject, frm, mid, extra=(), to="Podrška <support@caredesk.example>", date="Mon, 3 Feb 2025 10:15:00 +0100"):
    return ["Return-Path: <sender@example.com>",
            "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby mail.caredesk.example with ESMTPS id 4F2A1; " + date,
            "From: " + frm, "To: " + to, "Subject: " + subject, "Date: " + date,
            "Message-ID: <" + mid + ">", "MIME-Version: 1.0"] + list(extra)


def single(name, subject, frm, mid, charset, cte, text, extra=(), ctype="text/plain", newline="\r\n"):
    data = text.encode(charset_codec(charset)) if charset else text.encode("utf-8")
    head = std_head(subject, frm, mid, extra)
    ct = ctype + ("; charset=%s" % charset if charset else "")
    if ctype:
        head.append("Content-Type: " + ct)
    if cte:
        head.append("Content-Transfer-Encoding: " + cte)
    if cte == "quoted-printable":
        write(name, head, None, newline, qp(data).encode())
    elif cte == "base64":
        write(name, head, None, newline, b64(data).encode() + b"\r\n")
    else:
        write(name, head, None, newline, data.replace(b"\n", newline.encode()))


def main():
    # ---- charsets: Greek ----
    single("greek-utf8-qp.eml", b_word(GREEK_SUBJECT, "UTF-8"), b_word(GREEK_NAME, "UTF-8") + " <giannis@example.gr>",
           "el-utf8@example.gr", "UTF-8", "quoted-printable", GREEK_BODY)
    single("greek-iso8859-7-qp.eml", q_word(GREEK_SUBJECT, "ISO-8859-7"), q_word(GREEK_NAME, "iso-8859-7") + " <giannis@example.gr>",
           "el-iso7@example.gr", "ISO-8859-7", "quoted-printable", GREEK_BODY)
    single("greek-iso8859-7-base64.eml", b_word(GREEK_SUBJECT, "iso-8859-7"), b_word(GREEK_NAME, "iso-8859-7") + " <giannis@example.gr>",
           "el-iso7-b64@example.gr", '"greek"', "base64", GREEK_BODY)
    single("greek-windows1253-8bit.eml", b_word(GREEK_SUBJECT, "windows-1253"), b_word(GREEK_NAME, "windows-1253") + " <giannis@example.gr>",
           "el-1253@example.gr", "windows-1253", "8bit", GREEK_BODY)
    single("greek-cp1253-alias.eml", q_word(GREEK_SUBJECT, "cp1253"), q_word(GREEK_NAME, "CP1253") + " <giannis@example.gr>",
           "el-cp1253@example.gr", "CP1253", "quoted-printable", GREEK_BODY)
    # ---- charsets: Croatian ----
    single("croatian-utf8-base64.eml", b_word(CRO_SUBJECT, "utf-8"), '"%s" <ivana@example.hr>' % CRO_NAME,
           "hr-utf8@example.hr", "utf-8", "base64", CRO_BODY)
    single("croatian-iso8859-2-qp.eml", q_word(CRO_SUBJECT, "iso-8859-2"), q_word(CRO_NAME, "ISO-8859-2") + " <ivana@example.hr>",
           "hr-latin2@example.hr", "iso-8859-2", "quoted-printable", CRO_BODY)
    single("croatian-windows1250-8bit.eml", q_word(CRO_SUBJECT, "windows-1250"), b_word(CRO_NAME, "windows-1250") + " <ivana@example.hr>",
           "hr-1250@example.hr", "windows-1250", "8bit", CRO_BODY)
    single("croatian-latin2-alias.eml", b_word(CRO_SUBJECT, "latin2"), q_word(CRO_NAME, "latin2") + " <ivana@example.hr>",
           "hr-alias@example.hr", '"Latin2"', "quoted-printable", CRO_BODY)
    # ---- charsets: others ----
    single("western-iso8859-1.eml", q_word("Grüße aus München", "ISO-8859-1"), "Jürgen Müller <jm@example.de>",
           "latin1@example.de", "ISO-8859-1", "quoted-printable", "Crème brûlée, Grüße aus München.\n")
    single("western-iso8859-15-euro.eml", q_word("Facture 30 €", "ISO-8859-15"), "Chloé <chloe@example.fr>",
           "latin9@example.fr", "iso-8859-15", "quoted-printable", "Prix : 30 €, œuvre complète.\n")
    single("western-windows1252-quotes.eml", "Invoice question", "Pat <pat@example.com>",
           "cp1252@example.com", "windows-1252", "8bit", "We\u2019re sorry \u2013 the \u201cinvoice\u201d costs \u20ac30.\n")
    single("cyrillic-koi8r.eml", b_word(RU_SUBJECT, "koi8-r"), b_word("Иван Петров", "KOI8-R") + " <ivan@example.ru>",
           "koi8@example.ru", "koi8-r", "8bit", RU_BODY)
    single("cyrillic-windows1251.eml", q_word(RU_SUBJECT, "windows-1251"), "Ivan <ivan@example.ru>",
           "cp1251@example.ru", "windows-1251", "quoted-printable", RU_BODY)
    single("plain-us-ascii.eml", "Password reset does not work", "John Smith <john@example.com>",
           "ascii@example.com", "us-ascii", "7bit", "Hello,\n\nthe reset link in your e-mail gives an error 500.\n\nJohn\n",
           newline="\n")
    # ---- unlabeled / unknown ----
    head = std_head("Unlabeled Greek", "giannis@example.gr", "unlabeled-el@example.gr", ["Content-Type: text/plain", "Content-Transfer-Encoding: 8bit"])
    write("unlabeled-8bit-greek.eml", head, None, raw_body=crlf(GREEK_BODY).encode("cp1253"))
    head = std_head("Unlabeled Croatian", "ivana@example.hr", "unlabeled-hr@example.hr", ["Content-Type: text/plain", "Content-Transfer-Encoding: 8bit"])
    write("unlabeled-8bit-croatian.eml", head, None, raw_body=crlf(CRO_BODY).encode("cp1250"))
    # No MIME headers at all, raw UTF-8 in the subject and body (RFC 6532 style).
    head = ["From: " + CRO_NAME + " <ivana@example.hr>", "To: support@caredesk.example",
            "Subject: " + CRO_SUBJECT, "Date: Mon, 3 Feb 2025 10:15:00 +0100", "Message-ID: <raw-utf8@example.hr>"]
    write("unlabeled-8bit-utf8.eml", head, None, raw_body=crlf(CRO_BODY).encode("utf-8"))
    single("unknown-charset.eml", "Unknown charset", "someone@example.com", "unknown-cs@example.com",
           None, "8bit", "Caf\u00e9 ok\n", extra=["Content-Type: text/plain; charset=x-mac-klingon"], ctype="")
    # ---- RFC 2047 edge cases ----
    subject = ("%s\r\n %s\r\n %s" % (q_word("Παράπονο ", "iso-8859-7"), q_word("για ", "ISO-8859-7"),
                                     b_word("narudžbu", "iso-8859-2")) + " (urgent) =?utf-8?x?broken?=")
    head = std_head(subject, q_word("Đurđica ", "windows-1250") + " " + q_word("Šarić", "utf-8") + " <djurdjica@example.hr>",
                    "mixed-2047@example.hr", ["Content-Type: text/plain; charset=utf-8"])
    write("mixed-charset-subject.eml", head, "Body.\n")
    raw = "Ελληνικά".encode("utf-8")  # 16 bytes; split in the middle of a character
    w1 = "=?UTF-8?B?%s?=" % base64.b64encode(raw[:7]).decode()
    w2 = "=?UTF-8?B?%s?=" % base64.b64encode(raw[7:]).decode()
    head = std_head(w1 + "\r\n " + w2 + " test", "a@example.gr", "split-word@example.gr", ["Content-Type: text/plain; charset=utf-8"])
    write("utf8-split-across-words.eml", head, "Body.\n")

    # ---- reply shapes ----
    gmail_text = ("Thanks, that fixed it!\n\nOn Mon, Feb 3, 2025 at 10:00 AM CareDesk Support <support@caredesk.example> wrote:\n\n"
                  "> Hello John,\n>\n> please try the link again.\n>\n> [#1234]\n")
    gmail_html = ('<div dir="ltr">Thanks, that fixed it!</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
                  'On Mon, Feb 3, 2025 at 10:00 AM CareDesk Support &lt;<a href="mailto:support@caredesk.example">support@caredesk.example</a>&gt; wrote:<br></div>'
                  '<blockquote class="gmail_quote">Hello John,<br><br>please try the link again.</blockquote></div>\n')
    alternative("gmail-reply-en.eml", "Re: Password reset [#1234]", "John Smith <john@example.com>", "CAGmail-en@mail.gmail.com",
                gmail_text, gmail_html, in_reply_to="reply-1234.1@caredesk.example",
                references="<ticket-1234@caredesk.example> <reply-1234.1@caredesk.example>")
    el_text = ("Ευχαριστώ πολύ, λειτουργεί τώρα.\n\nΣτις Δευ 3 Φεβ 2025 στις 10:00 π.μ., ο/η CareDesk Support <\n"
               "support@caredesk.example> έγραψε:\n\n> Καλημέρα,\n> δοκιμάστε ξανά.\n")
    alternative("gmail-reply-el.eml", b_word("Απ: Παράπονο για την παραγγελία", "UTF-8"), b_word(GREEK_NAME, "UTF-8") + " <giannis@example.gr>",
                "CAGmail-el@mail.gmail.com", el_text, "<div>Ευχαριστώ πολύ, λειτουργεί τώρα.</div>\n",
                in_reply_to="reply-55.1@caredesk.example", references="<reply-55.1@caredesk.example>")
    hr_text = ("Hvala, sada radi.\n\npon, 3. velj 2025. u 10:00 CareDesk Podrška <support@caredesk.example> napisao je:\n\n"
               "> Poštovana,\n> pokušajte ponovno.\n")
    alternative("gmail-reply-hr.eml", b_word("Re: Reklamacija narudžbe", "UTF-8"), b_word(CRO_NAME, "UTF-8") + " <ivana@example.hr>",
                "CAGmail-hr@mail.gmail.com", hr_text, "<div>Hvala, sada radi.</div>\n",
                in_reply_to="reply-77.1@caredesk.example", references="<reply-77.1@caredesk.example>")
    outlook_en = ("Please cancel the order.\n\nRegards,\nMary\n\n________________________________\nFrom: CareDesk Support <support@caredesk.example>\n"
                  "Sent: Monday, February 3, 2025 10:00 AM\nTo: Mary Jones <mary@example.com>\nSubject: Your order\n\nHello Mary,\nyour order has shipped.\n")
    alternative("outlook-reply-en.eml", "RE: Your order", "Mary Jones <mary@example.com>", "AM0PR01MB1234@outlook.example.com",
                outlook_en, "<html><body><p>Please cancel the order.</p><p>Regards,<br>Mary</p><hr><p><b>From:</b> CareDesk Support</p></body></html>\n",
                in_reply_to="reply-88.1@caredesk.example", references="<reply-88.1@caredesk.example>",
                extra=["Thread-Topic: Your order", "Thread-Index: AQHZ1234", "X-MS-Has-Attach:", "Content-Language: en-US"])
    outlook_el = ("Δεν το έχω λάβει ακόμα.\n\nΑπό: CareDesk Support <support@caredesk.example>\nΣτάλθηκε: Δευτέρα, 3 Φεβρουαρίου 2025 10:00 πμ\n"
                  "Προς: Γιάννης Παπαδόπουλος <giannis@example.gr>\nΘέμα: Η παραγγελία σας\n\nΗ παραγγελία σας στάλθηκε.\n")
    alternative("outlook-reply-el.eml", b_word("ΑΠ: Η παραγγελία σας", "UTF-8"), b_word(GREEK_NAME, "UTF-8") + " <giannis@example.gr>",
                "VI1PR-el@outlook.example.com", outlook_el, "<p>Δεν το έχω λάβει ακόμα.</p>\n", in_reply_to="reply-99.1@caredesk.example")
    outlook_hr = ("Molim storno.\n\nŠalje: CareDesk Podrška <support@caredesk.example>\nPoslano: ponedjeljak, 3. veljače 2025. 10:00\n"
                  "Prima: Ivana Đurđević <ivana@example.hr>\nPredmet: Vaša narudžba\n\nVaša narudžba je poslana.\n")
    alternative("outlook-reply-hr.eml", b_word("ODG: Vaša narudžba", "UTF-8"), b_word(CRO_NAME, "UTF-8") + " <ivana@example.hr>",
                "VI1PR-hr@outlook.example.com", outlook_hr, "<p>Molim storno.</p>\n", in_reply_to="reply-100.1@caredesk.example")
    outlook_hr2 = ("Može.\n\nOd: CareDesk Podrška <support@caredesk.example>\nPoslano: 3. veljače 2025. 10:00\nPrima: ivana@example.hr\n"
                   "Predmet: Termin\n\nOdgovara li vam utorak?\n")
    single("outlook-reply-hr-od.eml", b_word("ODG: Termin", "UTF-8"), "ivana@example.hr", "VI1PR-hr2@outlook.example.com",
           "windows-1250", "quoted-printable", outlook_hr2, extra=["In-Reply-To: <reply-101.1@caredesk.example>"])
    original = ("I still need help.\n\n-----Original Message-----\nFrom: support@caredesk.example\nSent: Monday, February 3, 2025 10:00\n"
                "Subject: Ticket\n\nWe are looking into it.\n")
    single("outlook-original-message.eml", "RE: Ticket", "old.outlook@example.com", "orig-msg@example.com", "iso-8859-1",
           "quoted-printable", original, extra=["X-Mailer: Microsoft Outlook 14.0"])
    apple = ("Yes, please send a replacement.\n\nSent from my iPhone\n\n> On 3 Feb 2025, at 10:00, CareDesk Support <support@caredesk.example> wrote:\n"
             "> \n> Shall we send a replacement?\n")
    single("apple-mail-reply.eml", "Re: Replacement", "Ana <ana@icloud.example>", "apple-1@icloud.example", "utf-8",
           "quoted-printable", apple, extra=["X-Mailer: iPhone Mail (21D61)", "In-Reply-To: <reply-5.1@caredesk.example>",
                                            "References: <reply-5.1@caredesk.example>"])
    apple_inline()
    tb_hr = ("Slažem se s prijedlogom, ovo je prilično dugačka rečenica koja je prelomljena \nu dva retka.\n\n"
             "Dana 03.02.2025. u 10:00, CareDesk Podrška je napisao:\n> Predlažemo zamjenu uređaja.\n")
    single("thunderbird-reply-hr.eml", "Re: Zamjena", q_word(CRO_NAME, "UTF-8") + " <ivana@example.hr>", "tb-hr@example.hr",
           "UTF-8", "8bit", tb_hr, ctype="text/plain", extra=["User-Agent: Mozilla Thunderbird", "Content-Language: hr"])
    # format=flowed parameter needs to be on the Content-Type line:
    fix_ctype("thunderbird-reply-hr.eml", b"Content-Type: text/plain; charset=UTF-8", b"Content-Type: text/plain; charset=UTF-8; format=flowed")
    tb_el = ("Εντάξει, ευχαριστώ.\n\nΣτις 3/2/25 10:00 π.μ., ο/η CareDesk Support έγραψε:\n> Η επιστροφή χρημάτων έγινε.\n")
    single("thunderbird-reply-el.eml", "Re: " + b_word("Επιστροφή χρημάτων", "UTF-8"), "giannis@example.gr", "tb-el@example.gr",
           "UTF-8", "8bit", tb_el, extra=["User-Agent: Mozilla Thunderbird"])

    structures()
    broken()
    bounces()
    autoreplies()


def fix_ctype(name, old, new):
    path = os.path.join(HERE, name)
    data = open(path, "rb").read()
    assert old in data
    open(path, "wb").write(data.replace(old, new, 1))


def alternative(name, subject, frm, mid, text, html, in_reply_to=None, references=None, extra=()):
    extra = list(extra)
    if in_reply_to:
        extra.append("In-Reply-To: <%s>" % in_reply_to)
    if references:
        extra.append("References: " + references)
    boundary = "000000000000a1b2c3d4e5f6" + str(len(name))
    head = std_head(subject, frm, mid, extra + ['Content-Type: multipart/alternative; boundary="%s"' % boundary])
    body = ("--%s\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n%s\n"
            "--%s\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n%s\n--%s--\n") % (
        boundary, qp(text.encode()).replace("\r\n", "\n"), boundary, qp(html.encode()).replace("\r\n", "\n"), boundary)
    write(name, head, body)


def apple_inline():
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    b = "Apple-Mail=_5F2D3C1B-0001"
    head = std_head("Broken screen", "Ana <ana@icloud.example>", "apple-2@icloud.example",
                    ['Content-Type: multipart/mixed; boundary="%s"' % b, "X-Mailer: Apple Mail (2.3774)"])
    body = ("\n--%s\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii\n\nHere is the photo:\n\n"
            "--%s\nContent-Disposition: inline;\n\tfilename=IMG_0042.png\nContent-Type: image/png;\n\tx-unix-mode=0644;\n\tname=\"IMG_0042.png\"\n"
            "Content-Transfer-Encoding: base64\n\n%s\n--%s\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii\n\n"
            "\nAs you can see, the screen is cracked.\n--%s--\n") % (b, b, b64(png).replace("\r\n", "\n"), b, b)
    write("apple-mail-inline-image.eml", head, body)


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def structures():
    head = std_head("HTML only", "News <info@shop.example>", "html-only@shop.example",
                    ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"])
    html = "<html><head><style>p{color:red}</style></head><body><p>Dear customer,</p><p>your <b>refund</b> of 30&nbsp;&euro; is on its way.</p></body></html>\n"
    write("html-only.eml", head, qp(html.encode()))

    head = std_head("Logo", "Design <design@example.com>", "related@example.com",
                    ['Content-Type: multipart/alternative; boundary="alt-1"'])
    body = ("--alt-1\nContent-Type: text/plain; charset=utf-8\n\nSee our logo below.\n\n--alt-1\n"
            "Content-Type: multipart/related; boundary=\"rel-1\"; type=\"text/html\"\n\n--rel-1\nContent-Type: text/html; charset=utf-8\n\n"
            "<p>See our logo below.</p><img src=\"cid:logo@example.com\">\n--rel-1\nContent-Type: image/png; name=\"logo.png\"\n"
            "Content-Transfer-Encoding: base64\nContent-ID: <logo@example.com>\n\n%s\n--rel-1--\n\n--alt-1--\n") % b64(PNG).replace("\r\n", "\n")
    write("related-html-cid.eml", head, body)

    inner = ("From: %s <giannis@example.gr>\nTo: shop@example.com\nSubject: %s\nDate: Sun, 2 Feb 2025 09:00:00 +0200\n"
             "Message-ID: <inner-1@example.gr>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-7\n"
             "Content-Transfer-Encoding: quoted-printable\n\n%s") % (b_word(GREEK_NAME, "utf-8"), b_word(GREEK_SUBJECT, "utf-8"),
                                                                     qp(GREEK_BODY.encode("iso8859_7")).replace("\r\n", "\n"))
    head = std_head("Fwd: complaint", "Agent <agent@shop.example>", "fwd-1@shop.example", ['Content-Type: multipart/mixed; boundary="fwd"'])
    body = ("--fwd\nContent-Type: text/plain; charset=utf-8\n\nForwarding the customer's complaint.\n\n--fwd\n"
            "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n%s\n--fwd--\n") % inner
    write("forwarded-rfc822.eml", head, body)

    name = "Τιμολόγιο Μαρτίου.pdf"
    enc = "".join("%%%02X" % b if not (chr(b).isalnum() and b < 128) and chr(b) not in ".-_" else chr(b) for b in name.encode())
    head = std_head(b_word("Τιμολόγιο", "utf-8"), b_word(GREEK_NAME, "utf-8") + " <giannis@example.gr>", "att-2231@example.gr",
                    ['Content-Type: multipart/mixed; boundary="b1"'])
    body = ("--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nΣας στέλνω το τιμολόγιο.\n--b1\n"
            "Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*=UTF-8''%s\nContent-Transfer-Encoding: base64\n\n%s\n--b1--\n") % (
        enc, b64(PDF).replace("\r\n", "\n"))
    write("attachment-greek-filename-2231.eml", head, body)

    long_name = "Račun za popravak uređaja - prosinac 2024 - Đurđević.pdf"
    raw = long_name.encode("iso8859_2")
    enc = "".join("%%%02X" % b if b >= 128 or chr(b) in " %'*" else chr(b) for b in raw)
    cut = enc.index("%20ure")  # sections are decoded one by one: never split inside %XX
    s0, s1 = enc[:cut], enc[cut:]
    head = std_head("Račun", "ivana@example.hr", "att-cont@example.hr", ['Content-Type: multipart/mixed; boundary="b2"'])
    body = ("--b2\nContent-Type: text/plain; charset=utf-8\n\nRačun u prilogu.\n--b2\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment;\n filename*0*=iso-8859-2'hr'%s;\n filename*1*=%s\nContent-Transfer-Encoding: base64\n\n%s\n--b2--\n") % (
        s0, s1, b64(PDF).replace("\r\n", "\n"))
    write("attachment-2231-continuations.eml", head, body)

    head = std_head("Documents", "Outlook User <user@example.com>", "att-2047@example.com", ['Content-Type: multipart/mixed; boundary="b3"'])
    body = ("--b3\nContent-Type: text/plain; charset=us-ascii\n\nTwo files.\n--b3\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n"
            " name=\"%s\"\nContent-Disposition: attachment;\n filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n--b3\n"
            "Content-Type: image/png; name=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n--b3--\n") % (
        b_word("Ugovor o najmu - čl. 5.docx", "UTF-8"), b_word("Ugovor o najmu - čl. 5.docx", "UTF-8"), b64(b"PK\x03\x04docx").replace("\r\n", "\n"),
        q_word("Σχέδιο.png", "UTF-8"), b64(PNG).replace("\r\n", "\n"))
    write("attachment-2047-filename.eml", head, body)

    head = std_head("Nested", "deep@example.com", "nested@example.com", ['Content-Type: multipart/mixed; boundary="L1"'])
    body = ("--L1\nContent-Type: multipart/mixed; boundary=\"L2\"\n\n--L2\nContent-Type: multipart/alternative; boundary=\"L3\"\n\n"
            "--L3\nContent-Type: text/plain; charset=utf-8\n\nDeep text.\n--L3\nContent-Type: multipart/related; boundary=\"L4\"\n\n"
            "--L4\nContent-Type: text/html; charset=utf-8\n\n<p>Deep <img src=\"cid:dot@x\"> html.</p>\n--L4\nContent-Type: image/png\n"
            "Content-ID: <dot@x>\nContent-Transfer-Encoding: base64\n\n%s\n--L4--\n--L3--\n--L2\nContent-Type: text/csv; name=data.csv\n\n"
            "a,b\n1,2\n--L2--\n--L1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"report.pdf\"\n"
            "Content-Transfer-Encoding: base64\n\n%s\n--L1--\n") % (b64(PNG).replace("\r\n", "\n"), b64(PDF).replace("\r\n", "\n"))
    write("nested-deep.eml", head, body)


def broken():
    head = std_head("No boundary", "broken@example.com", "no-boundary@example.com", ["Content-Type: multipart/mixed"])
    write("broken-missing-boundary-param.eml", head, "This multipart has no boundary.\nStill readable.\n")

    head = std_head("Truncated", "broken@example.com", "truncated@example.com", ['Content-Type: multipart/mixed; boundary="cut"'])
    write("broken-no-closing-boundary.eml", head, "--cut\nContent-Type: text/plain\n\nFirst part.\n--cut\nContent-Type: application/pdf\n"
          "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK")

    write("broken-no-headers.eml", ["Hello, I am just text without any header"], "and a second paragraph.\n")

    head = std_head("Wrong boundary", "broken@example.com", "wrong-boundary@example.com", ['Content-Type: multipart/alternative; boundary="expected"'])
    write("broken-wrong-boundary.eml", head, "--actual\nContent-Type: text/plain\n\nThe text is still here.\n--actual--\n")

    head = std_head("Bad encodings", "broken@example.com", "bad-enc@example.com", ['Content-Type: multipart/mixed; boundary="e"'])
    good = base64.b64encode("Ελληνικό κείμενο σε base64 με σκουπίδια".encode()).decode()
    junky = good[:20] + "\n  !!" + good[20:40] + " \t" + good[40:].rstrip("=") + "\n"
    write("broken-bad-encodings.eml", head, ("--e\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n%s"
          "--e\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable\n\n"
          "Price =3d 5 =E2=82=ac, broken =ZZ and =e2=82=ac lowercase, soft=\nbreak, trailing =\n--e--\n") % junky)

    head = ["From broken@example.com Mon Feb  3 10:15:00 2025"] + std_head("Mbox line and junk header", "broken@example.com", "mbox@example.com",
                                                                            ["This line is not a header", "Content-Type: text/plain; charset=utf-8"])
    write("broken-mbox-junk-header.eml", head, "Body after junk.\n")

    head = std_head("Bad date and addresses", '"Doe, John" <john@example.com>, =?utf-8?q?Ana_=C5=A0ari=C4=87?= <ana@example.hr>, '
                    'undisclosed-recipients:;', "bad-date@example.com", ["Content-Type: text/plain"])
    head[5] = "Date: sometime last week"
    head[3] = ("To: Team: a@example.com, \"B, Bee\" <b@example.com>;, plain@example.com (Plain Person), "
               "Broken Name broken@example.com, <@relay.example:routed@example.com>")
    head.append("Cc: =?utf-8?B?zpPOuc6szr3Ovc63z4I=?= <g@example.gr>")
    head.append("Reply-To: 'Quoted Twice' <q@example.com>")
    write("broken-bad-date-addresses.eml", head, "Body.\n")


def bounces():
    b = "A1B2C3D4.1738574100/mail.example.com"
    head = ["Return-Path: <>", "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)", "To: support@caredesk.example",
            "Subject: Undelivered Mail Returned to Sender", "Date: Mon, 3 Feb 2025 10:15:00 +0100",
            "Message-Id: <20250203091500.A1B2C3D4@mail.example.com>", "Auto-Submitted: auto-replied", "MIME-Version: 1.0",
            'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="%s"' % b]
    body = ("This is a MIME-encapsulated message.\n\n--%s\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
            "This is the mail system at host mail.example.com.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
            "<nobody@example.org>: host mx.example.org[198.51.100.7] said: 550 5.1.1\n    <nobody@example.org>: Recipient address rejected: User unknown\n\n"
            "--%s\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.com\n"
            "X-Postfix-Queue-ID: A1B2C3D4\nArrival-Date: Mon,  3 Feb 2025 10:14:58 +0100 (CET)\n\nFinal-Recipient: rfc822; nobody@example.org\n"
            "Original-Recipient: rfc822;nobody@example.org\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.org\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address\n    rejected: User unknown\n\n"
            "--%s\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
            "From: CareDesk Support <support@caredesk.example>\nTo: nobody@example.org\nSubject: Re: Your ticket [#1234]\n"
            "Message-ID: <reply-1234.7@caredesk.example>\nDate: Mon, 3 Feb 2025 10:14:57 +0100\n\n--%s--\n") % (b, b, b, b)
    write("bounce-postfix-dsn.eml", head, body)

    head = ["From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "To: support@caredesk.example",
            "Subject: Delivery Status Notification (Failure)", "Date: Mon, 3 Feb 2025 10:15:00 -0800",
            "Message-ID: <gmail-dsn-1@mx.google.com>", "Auto-Submitted: auto-replied", "MIME-Version: 1.0",
            'Content-Type: multipart/report; boundary="000000000000dsn"; report-type=delivery-status']
    body = ("--000000000000dsn\nContent-Type: multipart/related; boundary=\"000000000000rel\"\n\n--000000000000rel\n"
            "Content-Type: multipart/alternative; boundary=\"000000000000alt\"\n\n--000000000000alt\nContent-Type: text/plain; charset=\"UTF-8\"\n\n"
            "** Address not found **\n\nYour message wasn't delivered to gone@gmail.example because the address couldn't be found.\n\n"
            "--000000000000alt\nContent-Type: text/html; charset=\"UTF-8\"\n\n<p><b>Address not found</b></p>\n--000000000000alt--\n"
            "--000000000000rel--\n--000000000000dsn\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; googlemail.com\n"
            "Received-From-MTA: dns; support@caredesk.example\n\nFinal-Recipient: rfc822; gone@gmail.example\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.\n\n"
            "--000000000000dsn\nContent-Type: message/rfc822\n\nFrom: CareDesk Support <support@caredesk.example>\nTo: gone@gmail.example\n"
            "Subject: =?UTF-8?B?zqPPh861z4TOuc66zqwgzrzOtSDPhM6/IM6xzq/PhM63zrzOsSDPg86xz4I=?=\nMessage-ID: <reply-55.2@caredesk.example>\n"
            "Content-Type: text/plain; charset=UTF-8\n\nOur answer.\n--000000000000dsn--\n")
    write("bounce-gmail-dsn.eml", head, body)

    head = ["Return-Path: <>", "From: MAILER-DAEMON@qmail.example.net", "To: support@caredesk.example", "Subject: failure notice",
            "Date: 3 Feb 2025 09:15:00 -0000", "Message-ID: <qmail-bounce-1@qmail.example.net>"]
    body = ("Hi. This is the qmail-send program at qmail.example.net.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n<olduser@qmail.example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
            "--- Below this line is a copy of the message.\n\nReturn-Path: <support@caredesk.example>\nFrom: support@caredesk.example\n"
            "Message-ID: <reply-300.1@caredesk.example>\nSubject: Re: [#300]\n\nOur answer.\n")
    write("bounce-qmail-plain.eml", head, body, newline="\n")

    head = ["From: Mail Delivery System <MAILER-DAEMON@exim.example.com>", "To: support@caredesk.example",
            "Subject: Warning: message 1abc-000123-Xy delayed 24 hours", "Date: Tue, 4 Feb 2025 10:15:00 +0000",
            "Message-Id: <E1abc-delay@exim.example.com>", "Auto-Submitted: auto-replied", "MIME-Version: 1.0",
            'Content-Type: multipart/report; report-type=delivery-status; boundary=1738664100-eximdsn-42']
    body = ("--1738664100-eximdsn-42\nContent-type: text/plain; charset=us-ascii\n\nThis message was created automatically by mail delivery software.\n"
            "A message that you sent has not yet been delivered to one or more of its recipients after more than 24 hours on the queue.\n\n"
            "--1738664100-eximdsn-42\nContent-type: message/delivery-status\n\nReporting-MTA: dns; exim.example.com\n\n"
            "Action: delayed\nFinal-Recipient: rfc822;slow@example.net\nStatus: 4.0.0\nWill-Retry-Until: Fri, 07 Feb 2025 10:15:00 +0000\n\n"
            "--1738664100-eximdsn-42\nContent-type: text/rfc822-headers\n\nMessage-ID: <reply-400.1@caredesk.example>\nSubject: Re: [#400]\n\n"
            "--1738664100-eximdsn-42--\n")
    write("bounce-exim-delayed.eml", head, body)


def autoreplies():
    head = std_head("Automatic reply: Your order", "Mary Jones <mary@example.com>", "oof-en@outlook.example.com",
                    ["Content-Type: text/plain; charset=utf-8", "X-Auto-Response-Suppress: All", "In-Reply-To: <reply-88.2@caredesk.example>"])
    write("autoreply-outlook-en.eml", head, "I am out of the office until Monday.\n")
    single("autoreply-subject-el.eml", b_word("Εκτός γραφείου: Η παραγγελία σας", "utf-8"), "giannis@example.gr", "oof-el@example.gr",
           "utf-8", "8bit", "Θα απουσιάζω μέχρι τη Δευτέρα.\n")
    single("autoreply-subject-el-2.eml", q_word("Αυτόματη απάντηση: Παράπονο", "iso-8859-7"), "giannis@example.gr", "oof-el2@example.gr",
           "iso-8859-7", "quoted-printable", "Λείπω.\n")
    single("autoreply-subject-hr.eml", b_word("Odsutna iz ureda", "utf-8"), "ivana@example.hr", "oof-hr@example.hr",
           "utf-8", "8bit", "Nisam u uredu do ponedjeljka.\n")
    single("autoreply-subject-hr-2.eml", q_word("Automatski odgovor: Vaša narudžba", "windows-1250"), "ivana@example.hr", "oof-hr2@example.hr",
           "windows-1250", "8bit", "Hvala na poruci.\n")
    single("autoreply-gmail-vacation.eml", "Re: Password reset [#1234]", "John Smith <john@example.com>", "vacation@mail.gmail.com",
           "UTF-8", "7bit", "I'm on vacation until Friday.\n", extra=["Auto-Submitted: auto-replied", "Precedence: bulk"])
    single("autoreply-x-autoreply.eml", "Thanks for your message", "robot@example.com", "x-autoreply@example.com",
           "us-ascii", "7bit", "We received your message.\n", extra=["X-Autoreply: yes"])
    single("autoreply-precedence-list.eml", "[users] Weekly digest", "users-list@lists.example.org", "list-1@lists.example.org",
           "us-ascii", "7bit", "Digest.\n", extra=["Precedence: list", "List-Id: <users.lists.example.org>"])
    single("not-autoreply.eml", "Out of stock question: when will it be back?", "Customer <c@example.com>", "human-1@example.com",
           "us-ascii", "7bit", "Hello, when will the item be back in stock?\n", extra=["Auto-Submitted: no"])


if __name__ == "__main__":
    main()
