#!/usr/bin/env python3
"""SMTP load generator for CareDesk's receiver (Python standard library only).

N connections (threads), each keeping one SMTP session open and sending message after message
(MAIL FROM / RCPT TO / DATA, repeated; RSET and a new connection only after an error). Every message
is distinct: its own Message-ID, sender, subject and text; the mix is
  ~60% a ~2 KB text/plain UTF-8 reply in Greek or Croatian with quoted history (8bit),
  ~35% a ~10 KB multipart/alternative (text + HTML, quoted-printable / base64),
  ~5%  a multipart/mixed with a ~60 KB attachment (random bytes, base64, new for every message).
About half of the messages answer an earlier message of the same sender (In-Reply-To/References), so
they are threaded into an existing conversation; the rest start a new one.

Only a 250 to the end of DATA counts as committed. Any other reply (or a lost connection) is an error
and is reported. Latency is the DATA step as the client sees it: from the first byte of the message
(after the 354) to the 250, so it includes sending up to 60 KB over loopback plus the server's parse,
store and commit. The whole transaction (MAIL → 250 after DATA) is reported too.

The first --warmup seconds are sent but not measured; messages committed then (and those in flight
when the measured time ends) still count in "committed total", which is what the database must hold.
--accepted-file receives the Message-ID (without <>) of every message answered 250, one per line.

Usage: smtp_load.py --port 2525 [--host 127.0.0.1] [--rcpt support@bench.test] [--connections 8]
                    [--seconds 20] [--warmup 3] [--senders 500] [--accepted-file PATH] [--json PATH]
"""
import argparse
import base64
import json
import math
import os
import random
import resource
import smtplib
import socket
import threading
import time
from email.utils import formatdate

# --------------------------------------------------------------------------------------------------
# Message material

GREEK_LINES = [
    "Καλησπέρα σας, παρέλαβα την παραγγελία μου αλλά λείπει ένα προϊόν από το δέμα.",
    "Θα ήθελα να μάθω πότε θα γίνει η επιστροφή των χρημάτων στην κάρτα μου.",
    "Η συσκευή δεν ανάβει μετά την ενημέρωση· δοκίμασα επανεκκίνηση χωρίς αποτέλεσμα.",
    "Σας επισυνάπτω τον αριθμό της απόδειξης και φωτογραφία της συσκευασίας.",
    "Παρακαλώ ενημερώστε με αν χρειάζεστε κάποιο άλλο στοιχείο από εμένα.",
    "Ο κωδικός έκπτωσης δεν έγινε δεκτός στο ταμείο, ενώ ισχύει μέχρι το τέλος του μήνα.",
    "Μπορώ να αλλάξω τη διεύθυνση αποστολής; Μετακόμισα την περασμένη εβδομάδα.",
    "Ευχαριστώ πολύ για τη γρήγορη απάντηση, το πρόβλημα λύθηκε εν μέρει.",
]
CROATIAN_LINES = [
    "Poštovani, narudžba je stigla, ali u paketu nedostaje jedan proizvod.",
    "Zanima me kada će povrat novca biti vidljiv na mojoj kartici.",
    "Uređaj se ne uključuje nakon ažuriranja; pokušao sam ponovno pokretanje bez uspjeha.",
    "U prilogu šaljem broj računa i fotografiju ambalaže.",
    "Molim vas javite mi trebate li još neki podatak od mene.",
    "Kod za popust nije prihvaćen na blagajni, iako vrijedi do kraja mjeseca.",
    "Mogu li promijeniti adresu dostave? Preselio sam se prošli tjedan.",
    "Hvala na brzom odgovoru, problem je djelomično riješen. Čekam vaše upute, lijep pozdrav.",
]
GREEK_NAMES = ["Ελένη Παπαδοπούλου", "Γιώργος Νικολάου", "Μαρία Κωνσταντίνου", "Δημήτρης Αλεξίου", "Σοφία Γεωργίου"]
CROATIAN_NAMES = ["Ivana Horvat", "Marko Kovačević", "Ana Babić", "Luka Marić", "Petra Jurić", "Željko Šarić"]
SUBJECTS_EL = ["Πρόβλημα με την παραγγελία", "Επιστροφή χρημάτων", "Η συσκευή δεν λειτουργεί", "Αλλαγή διεύθυνσης"]
SUBJECTS_HR = ["Problem s narudžbom", "Povrat novca", "Uređaj ne radi", "Promjena adrese dostave"]


def b_header(text):
    """RFC 2047 B encoding for a non-ASCII header value."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def qp_encode(data):
    import quopri
    return quopri.encodestring(data)


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def dot_stuff(data):
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..")


class Sender:
    def __init__(self, index, rng):
        self.greek = index % 2 == 0
        names = GREEK_NAMES if self.greek else CROATIAN_NAMES
        self.name = names[index % len(names)]
        self.address = f"customer{index}@{'example.gr' if self.greek else 'example.hr'}"
        self.thread = []  # Message-IDs of this sender's current thread
        self.subject = None


def text_block(rng, greek, lines):
    pool = GREEK_LINES if greek else CROATIAN_LINES
    return "\n".join(rng.choice(pool) for _ in range(lines))


def quoted_history(rng, greek, sender_name, depth_bytes):
    """Quoted earlier messages, as mail clients add them under a reply (about depth_bytes of UTF-8)."""
    out = []
    while sum(len(x.encode("utf-8")) + 1 for x in out) < depth_bytes:
        date = formatdate(time.time() - rng.randint(3600, 30 * 86400), localtime=False)
        if greek:
            out.append(f"Στις {date}, ο/η Υποστήριξη <support@bench.test> έγραψε:")
        else:
            out.append(f"Dana {date}, Podrška <support@bench.test> napisala je:")
        for line in text_block(rng, greek, 3).split("\n"):
            out.append("> " + line)
            if sum(len(x.encode("utf-8")) + 1 for x in out) >= depth_bytes:
                break
        out.append(">")
    return "\n".join(out)


def headers(sender, subject, message_id, content_type, extra=()):
    h = [
        f"Message-ID: <{message_id}>",
        f"Date: {formatdate(localtime=True)}",
        f"From: {b_header(sender.name)} <{sender.address}>",
        "To: Support <support@bench.test>",
        f"Subject: {b_header(subject)}",
        "MIME-Version: 1.0",
    ]
    if sender.thread:
        h.append(f"In-Reply-To: <{sender.thread[-1]}>")
        h.append("References: " + " ".join(f"<{x}>" for x in sender.thread[-10:]))
    h.extend(extra)
    h.append(f"Content-Type: {content_type}")
    return "\r\n".join(h) + "\r\n"


def plain_reply(rng, sender, message_id, subject):
    body = text_block(rng, sender.greek, 2 if sender.greek else 3) + "\n\n" + sender.name + "\n\n" + \
        quoted_history(rng, sender.greek, sender.name, 1100)
    head = headers(sender, subject, message_id, "text/plain; charset=utf-8; format=flowed",
                   ["Content-Transfer-Encoding: 8bit", "User-Agent: Mozilla Thunderbird"])
    return head.encode("utf-8") + b"\r\n" + crlf(body).encode("utf-8") + b"\r\n"


def alternative(rng, sender, message_id, subject):
    boundary = f"alt-{rng.getrandbits(64):016x}"
    text = text_block(rng, sender.greek, 3) + "\n\n" + quoted_history(rng, sender.greek, sender.name, 1900)
    paragraphs = "".join(f"<p>{line}</p>\n" for line in text.split("\n"))
    html = ("<html><head><meta charset=\"utf-8\"></head><body><div dir=\"ltr\">\n"
            f"{paragraphs}</div><div class=\"gmail_quote\"><blockquote style=\"margin:0 0 0 .8ex;"
            "border-left:1px #ccc solid;padding-left:1ex\">" + paragraphs + "</blockquote></div></body></html>")
    # Greek text is mostly 8-bit bytes: base64 (as MIMEBuilder does); Croatian: quoted-printable (as Gmail does).
    if sender.greek:
        text_cte, text_part = b"base64", base64.encodebytes(crlf(text).encode("utf-8"))
    else:
        text_cte, text_part = b"quoted-printable", qp_encode(crlf(text).encode("utf-8"))
    html_part = base64.encodebytes(html.encode("utf-8")).replace(b"\n", b"\r\n")
    head = headers(sender, subject, message_id, f"multipart/alternative; boundary=\"{boundary}\"")
    b = boundary.encode()
    return (head.encode("utf-8") + b"\r\n"
            + b"--" + b + b"\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: " + text_cte + b"\r\n\r\n"
            + crlf(text_part.decode("ascii")).encode("ascii") + b"\r\n"
            + b"--" + b + b"\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + html_part
            + b"--" + b + b"--\r\n")


def with_attachment(rng, sender, message_id, subject):
    boundary = f"mix-{rng.getrandbits(64):016x}"
    text = text_block(rng, sender.greek, 4) + "\n\n" + sender.name
    blob = os.urandom(45_000)  # ~60 KB in base64, different for every message
    name = "račun-ποσό.pdf"
    head = headers(sender, subject, message_id, f"multipart/mixed; boundary=\"{boundary}\"")
    b = boundary.encode()
    return (head.encode("utf-8") + b"\r\n"
            + b"--" + b + b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + crlf(text).encode("utf-8") + b"\r\n"
            + b"--" + b + b"\r\nContent-Type: application/pdf; name=\"" + b_header(name).encode() + b"\"\r\n"
            + b"Content-Disposition: attachment; filename*=UTF-8''" + _pct(name).encode() + b"\r\n"
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(blob).replace(b"\n", b"\r\n")
            + b"--" + b + b"--\r\n")


def _pct(text):
    from urllib.parse import quote
    return quote(text, safe="")


def next_message(rng, sender, run_id, seq):
    """(message_id, dot-stuffed DATA payload ending with CRLF.CRLF, kind)"""
    message_id = f"{run_id}.{seq}@client.bench.test"
    if not sender.thread or rng.random() < 0.5 or len(sender.thread) >= 20:
        sender.thread = []  # a new conversation
        sender.subject = rng.choice(SUBJECTS_EL if sender.greek else SUBJECTS_HR) + f" #{seq}"
        subject = sender.subject
    else:
        subject = ("Re: " if sender.greek else "Odg: ") + sender.subject
    r = rng.random()
    if r < 0.60:
        kind, raw = "plain", plain_reply(rng, sender, message_id, subject)
    elif r < 0.95:
        kind, raw = "alternative", alternative(rng, sender, message_id, subject)
    else:
        kind, raw = "attachment", with_attachment(rng, sender, message_id, subject)
    return message_id, dot_stuff(raw) + b".\r\n", kind, len(raw)


# --------------------------------------------------------------------------------------------------
# Load


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = []          # Message-IDs answered 250 (all, warm-up included)
        self.measured = 0           # 250s completed inside the measured window
        self.measured_bytes = 0
        self.data_latency = []      # seconds, measured window only
        self.txn_latency = []
        self.errors = {}            # "step: reply" -> count
        self.error_samples = []
        self.kinds = {}


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)  # nearest rank
    return values[min(len(values) - 1, max(0, math.ceil(p / 100.0 * len(values)) - 1))]


def worker(index, args, run_id, senders, stats, window, stop):
    rng = random.Random(f"{run_id}-{index}")
    seq = 0
    client = None

    def error(step, reply):
        key = f"{step}: {reply}"[:200]
        with stats.lock:
            stats.errors[key] = stats.errors.get(key, 0) + 1
            if len(stats.error_samples) < 10:
                stats.error_samples.append(key)

    while not stop.is_set():
        if client is None:
            try:
                client = smtplib.SMTP(args.host, args.port, local_hostname="loadgen.bench.test", timeout=120)
                code, msg = client.ehlo()
                if code != 250:
                    error("EHLO", f"{code} {msg!r}")
                    client.close(); client = None; time.sleep(0.2); continue
            except (OSError, smtplib.SMTPException) as e:
                error("connect", repr(e))
                client = None; time.sleep(0.2); continue
        sender = rng.choice(senders)
        seq += 1
        message_id, payload, kind, size = next_message(rng, sender, f"{run_id}-{index}", seq)
        try:
            t0 = time.perf_counter()
            code, msg = client.mail(sender.address, ["BODY=8BITMIME", f"SIZE={size}"])
            if code != 250:
                error("MAIL", f"{code} {msg!r}"); client.rset(); continue
            code, msg = client.rcpt(args.rcpt)
            if code != 250:
                error("RCPT", f"{code} {msg!r}"); client.rset(); continue
            client.putcmd("data")
            code, msg = client.getreply()
            if code != 354:
                error("DATA", f"{code} {msg!r}"); client.rset(); continue
            t1 = time.perf_counter()
            client.send(payload)
            code, msg = client.getreply()
            t2 = time.perf_counter()
        except (OSError, smtplib.SMTPException) as e:
            # The message may or may not have been stored: the server answers 250 only after the commit,
            # so a lost reply is counted as an error, never as committed.
            error("connection", repr(e))
            try:
                client.close()
            except Exception:
                pass
            client = None
            continue
        if code != 250:
            error("end of DATA", f"{code} {msg!r}")
            continue
        sender.thread.append(message_id)
        with stats.lock:
            stats.accepted.append(message_id)
            stats.kinds[kind] = stats.kinds.get(kind, 0) + 1
            if window[0] is not None and window[0] <= t2 and (window[1] is None or t2 <= window[1]):
                stats.measured += 1
                stats.measured_bytes += size
                stats.data_latency.append(t2 - t1)
                stats.txn_latency.append(t2 - t0)
    if client is not None:
        try:
            client.quit()
        except Exception:
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--rcpt", default="support@bench.test")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--senders", type=int, default=500)
    p.add_argument("--accepted-file")
    p.add_argument("--json")
    args = p.parse_args()

    run_id = f"{int(time.time())}-{os.getpid()}"
    senders = [Sender(i, random) for i in range(args.senders)]
    # Each connection owns its own senders, so a reply's In-Reply-To always names a message already answered 250.
    shares = [senders[i::args.connections] for i in range(args.connections)]
    stats = Stats()
    window = [None, None]
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(i, args, run_id, shares[i], stats, window, stop), daemon=True)
               for i in range(args.connections)]
    for t in threads:
        t.start()
    time.sleep(args.warmup)
    window[0] = time.perf_counter()
    time.sleep(args.seconds)
    window[1] = time.perf_counter()
    stop.set()
    for t in threads:
        t.join(timeout=180)
    elapsed = window[1] - window[0]

    errors_total = sum(stats.errors.values())
    result = {
        "connections": args.connections,
        "seconds": round(elapsed, 2),
        "measured_committed": stats.measured,
        "messages_per_second": round(stats.measured / elapsed, 1),
        "mb_per_second": round(stats.measured_bytes / elapsed / 1e6, 2),
        "data_p50_ms": round(percentile(stats.data_latency, 50) * 1000, 1),
        "data_p95_ms": round(percentile(stats.data_latency, 95) * 1000, 1),
        "data_p99_ms": round(percentile(stats.data_latency, 99) * 1000, 1),
        "txn_p50_ms": round(percentile(stats.txn_latency, 50) * 1000, 1),
        "txn_p99_ms": round(percentile(stats.txn_latency, 99) * 1000, 1),
        "committed_total": len(stats.accepted),
        "kinds": stats.kinds,
        "errors": errors_total,
        "error_kinds": stats.errors,
    }
    print(f"connections {args.connections}, measured {elapsed:.1f} s after {args.warmup:g} s warm-up")
    print(f"committed (250 after DATA) in the measured time: {stats.measured} = "
          f"{result['messages_per_second']} messages/s ({result['mb_per_second']} MB/s)")
    print(f"DATA -> 250 latency p50 / p95 / p99: {result['data_p50_ms']} / {result['data_p95_ms']} / "
          f"{result['data_p99_ms']} ms; whole transaction p50 / p99: {result['txn_p50_ms']} / {result['txn_p99_ms']} ms")
    print(f"committed total (warm-up and in-flight included): {len(stats.accepted)}; mix: "
          + ", ".join(f"{k} {v}" for k, v in sorted(stats.kinds.items())))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["client_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    print(f"load generator CPU: {result['client_cpu_seconds']} s (user + system, warm-up included)")
    print(f"errors (any reply other than 250/354, or a lost connection): {errors_total}")
    for key, count in sorted(stats.errors.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {count} x {key}")
    if args.accepted_file:
        with open(args.accepted_file, "w") as f:
            f.write("\n".join(stats.accepted) + ("\n" if stats.accepted else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
    return 1 if errors_total else 0


if __name__ == "__main__":
    raise SystemExit(main())
