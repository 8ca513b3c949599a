"""E-mail end to end with real peers: Python's smtplib sends to CareDesk's SMTP receiver, Debian's dovecot
serves a mailbox that the IMAP poller reads, replies leave through a local aiosmtpd sink and are checked
(headers, encoding, threading), and `caredesk mailgate` pipes mail in with honest exit codes.

The test starts its own CareDesk (CAREDESK_E2E_BIN, run from the repository folder), dovecot and sink on free
ports, so it does not disturb the browser tests' server. .ci/run installs dovecot-imapd and aiosmtpd.
"""
import email
import email.policy
import http.cookiejar
import imaplib
import json
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CAREDESK_E2E_BIN", os.path.join(ROOT, ".build/debug/caredesk"))
FIXTURES = os.path.join(ROOT, "Tests/Fixtures/imap")
MAILBOX = "podrska@firma.test"
IMAP_USER, IMAP_PASSWORD = "inbox-user", "imap-e2e-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class Sink:
    """aiosmtpd as the outgoing relay: keeps every message it gets."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        sink = self
        self.messages = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class Dovecot:
    """A private dovecot with one user, from the template the Swift IMAP tests use."""

    def __init__(self):
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not os.path.exists(binary):
            pytest.skip("dovecot not installed (apt-get install dovecot-imapd)")
        self.dir = tempfile.mkdtemp(prefix="caredesk-e2e-dovecot-")
        os.chmod(self.dir, 0o755)
        root = os.getuid() == 0
        user, group, uid, gid = ("nobody", "nogroup", 65534, 65534) if root else (
            os.environ.get("USER", str(os.getuid())), str(os.getgid()), os.getuid(), os.getgid())
        if root:
            import grp
            try:
                grp.getgrgid(65534)
                group = grp.getgrgid(65534).gr_name
            except KeyError:
                pass
        home = os.path.join(self.dir, "home")
        os.makedirs(home, mode=0o755)
        if root:
            os.chown(home, uid, gid)
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{home}\n")
        self.port, self.tls_port = free_port(), free_port()
        config = open(os.path.join(FIXTURES, "dovecot.conf.template")).read()
        for key, value in {"@DIR@": self.dir, "@PORT_IMAP@": str(self.port), "@PORT_IMAPS@": str(self.tls_port), "@SSL@": "yes",
                           "@CERT@": os.path.join(FIXTURES, "test-cert.pem"), "@KEY@": os.path.join(FIXTURES, "test-key.pem"),
                           "@AUTH_MECHANISMS@": "plain login", "@INTERNAL_USER@": user, "@INTERNAL_GROUP@": group}.items():
            config = config.replace(key, value)
        self.config = os.path.join(self.dir, "dovecot.conf")
        open(self.config, "w").write(config)
        self.process = subprocess.Popen([binary, "-F", "-c", self.config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self._accepts(), 15, "dovecot")

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def client(self):
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(IMAP_USER, IMAP_PASSWORD)
        return c

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class CareDesk:
    def __init__(self, sink, smtp_port):
        self.dir = tempfile.mkdtemp(prefix="caredesk-e2e-mail-")
        self.port, self.smtp_port = free_port(), smtp_port
        self.env = dict(os.environ, CAREDESK_DATA_DIR=self.dir, CAREDESK_SMTP_LISTEN=f"127.0.0.1:{smtp_port}",
                        CAREDESK_SMTP_RELAY=f"127.0.0.1:{sink.port}", CAREDESK_SMTP_RELAY_SECURITY="none",
                        CAREDESK_IMAP_POLL_SECONDS="3", CAREDESK_MAIL_CA_FILE=os.path.join(FIXTURES, "test-cert.pem"))
        self.env.pop("CAREDESK_DATABASE_URL", None)
        run = lambda *args: subprocess.run([BIN, *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True).stdout
        run("admin", "create", "--email", "admin@mail.test", "--name", "Mail Admin", "--password", "mail-admin-password")
        self.token = run("token", "create", "--email", "admin@mail.test", "--name", "e2e-mail").strip().splitlines()[-1]
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen([BIN, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for(self._ready, 30, "caredesk serve")
        self.jar = http.cookiejar.CookieJar()
        self.web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.web.open(self.base + "/login", urllib.parse.urlencode({"email": "admin@mail.test", "password": "mail-admin-password"}).encode())

    def _ready(self):
        try:
            return urllib.request.urlopen(self.base + "/readyz", timeout=2).status == 200 and self._smtp_up()
        except OSError:
            return False

    def _smtp_up(self):
        try:
            socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
            return True
        except OSError:
            return False

    def form(self, path, fields):
        page = self.web.open(self.base + "/admin/mailboxes").read().decode()
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return self.web.open(self.base + path, urllib.parse.urlencode(dict(fields, _csrf=csrf)).encode())

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read() or b"{}")

    def conversation_with(self, marker):
        found = self.api("GET", "/search?q=" + urllib.parse.quote(marker))["messages"]
        return found[0]["conversationId"] if found else None

    def messages(self, conversation_id):
        return self.api("GET", f"/conversations/{conversation_id}/messages?limit=100")["data"]

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def world():
    pytest.importorskip("aiosmtpd", reason="aiosmtpd not installed (pip install aiosmtpd)")
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} not built")
    sink = Sink()
    dovecot = Dovecot()
    desk = CareDesk(sink, free_port())
    try:
        desk.form("/admin/mailboxes", {
            "address": MAILBOX, "name": "Firma Podrška", "team": "", "signature": "Srdačan pozdrav\nFirma", "active": "on",
            "imap_host": "127.0.0.1", "imap_port": str(dovecot.port), "imap_security": "starttls", "imap_username": IMAP_USER,
            "imap_password": IMAP_PASSWORD, "imap_folder": "INBOX", "imap_move_to": ""})
        yield sink, dovecot, desk
    finally:
        desk.stop()
        dovecot.stop()
        sink.stop()


def customer_mail(marker, subject, body, message_id, in_reply_to=None, sender="Ελένη Παπαδοπούλου <eleni@example.gr>"):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = MAILBOX
    m["Subject"] = subject
    m["Message-ID"] = message_id
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
        m["References"] = in_reply_to
    m.set_content(f"{body}\n\n{marker}\n")
    return m


def test_smtp_in_reply_out_and_back(world):
    sink, _, desk = world
    marker = "smtp" + uuid.uuid4().hex[:8]
    first_id = f"<{marker}@example.gr>"
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=10) as s:
        s.send_message(customer_mail(marker, "Παράπονο για την παραγγελία", "Καλημέρα, η παραγγελία δεν ήρθε.", first_id))
    # Never an open relay.
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=10) as s:
        s.ehlo()
        s.mail("x@example.com")
        code, _ = s.rcpt("victim@example.org")
        assert code == 550
    conversation = desk.conversation_with(marker)  # 250 came after the commit: it is there already
    assert conversation

    desk.api("POST", "/messages", {"direction": "outbound", "conversationId": conversation, "text": "Λυπούμαστε πολύ· θα έρθει αύριο."})
    mail_from, rcpts, raw = wait_for(lambda: next((m for m in sink.messages if f"[#{conversation}]".encode() in email.message_from_bytes(m[2], policy=email.policy.default)["Subject"].encode()), None), 30, "the reply at the sink")
    assert raw.decode("ascii")  # 7-bit clean on the wire
    reply = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail_from == MAILBOX and rcpts == ["eleni@example.gr"]
    assert str(reply["Subject"]) == f"Re: Παράπονο για την παραγγελία [#{conversation}]"
    assert reply["From"].addresses[0].display_name == "Firma Podrška"
    assert reply["In-Reply-To"].strip() == first_id and first_id in reply["References"]
    assert reply["Reply-To"].addresses[0].addr_spec == MAILBOX
    text = reply.get_body(("plain",)).get_content()
    assert "θα έρθει αύριο" in text and "Srdačan pozdrav" in text
    assert reply.get_body(("html",)) is not None

    # Her program answers our Message-ID, with a changed subject: back into the same conversation.
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=10) as s:
        s.send_message(customer_mail(marker + "b", "Ευχαριστώ!", "Ευχαριστώ πολύ.", f"<{marker}b@example.gr>", in_reply_to=reply["Message-ID"]))
    assert desk.conversation_with(marker + "b") == conversation
    statuses = [m.get("deliveryStatus") for m in desk.messages(conversation) if m["direction"] == "outbound"]
    assert statuses == ["sent"]


def test_imap_mailbox_is_polled_and_flagged(world):
    _, dovecot, desk = world
    marker = "imap" + uuid.uuid4().hex[:8]
    client = dovecot.client()
    try:
        message = customer_mail(marker, "Upit o računu", "Poštovani, molim kopiju računa.", f"<{marker}@example.hr>",
                                sender="Ivana Đurđević <ivana@example.hr>")
        client.append("INBOX", None, None, message.as_bytes().replace(b"\n", b"\r\n"))
        conversation = wait_for(lambda: desk.conversation_with(marker), 40, "the IMAP message in CareDesk")
        texts = [m["text"] for m in desk.messages(conversation)]
        assert any("kopiju računa" in t for t in texts)
        client.select("INBOX")
        def seen():
            typ, data = client.uid("SEARCH", None, "SEEN")
            return typ == "OK" and data[0].split()
        wait_for(seen, 15, "the message flagged \\Seen")
    finally:
        client.logout()


def test_mailgate_exit_codes(world):
    _, _, desk = world
    marker = "gate" + uuid.uuid4().hex[:8]
    raw = customer_mail(marker, "Piped", "Preko mailgatea.", f"<{marker}@example.hr>", sender="marko@example.hr").as_bytes()
    ok = subprocess.run([BIN, "mailgate", "--recipient", MAILBOX], input=raw, cwd=ROOT, env=desk.env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert desk.conversation_with(marker)
    stranger = subprocess.run([BIN, "mailgate", "--recipient", "nobody@firma.test"], input=raw, cwd=ROOT, env=desk.env, capture_output=True)
    assert stranger.returncode == 67
    down = subprocess.run([BIN, "mailgate", "--recipient", MAILBOX, "--smtp", f"127.0.0.1:{free_port()}"], input=raw, cwd=ROOT,
                          env=desk.env, capture_output=True)
    assert down.returncode == 75
