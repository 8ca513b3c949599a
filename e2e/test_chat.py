"""Web chat end to end in two Chromium sessions against a CareDesk of its own.

An admin creates a chat widget through Admin → Chat widgets and takes the widget key from the embed line; a
visitor on a plain page of another origin (a tiny http.server) opens the widget and writes; the agent sees the
chat arrive live, opens it, sees "the customer is typing", answers, and the visitor sees the answer, "Read"
under their message and the agent "seen" under the reply. Then the desk is killed and started again and the
visitor's network is cut while both sides keep writing, and an acknowledgement is lost on the way: once everything
is back the widget reconnects by itself and every message is stored and shown exactly once. A message with markup
stays text on both sides.

The visitor's browser reaches the desk through a TCP relay (Link, via --host-resolver-rules) that the test can cut
or make deaf, because DevTools' offline emulation does not close an open WebSocket.

Starts its own CareDesk (CAREDESK_E2E_BIN, run from the repository folder, SQLite in a temp folder, free port,
SMTP receiver off), so it does not disturb the server .ci/run starts for the other browser tests.
"""
import http.server
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.common.exceptions import (JavascriptException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CAREDESK_E2E_BIN", os.path.join(ROOT, ".build/debug/caredesk"))
ADMIN_EMAIL, ADMIN_PASSWORD = "chat-admin@chat.test", "chat-admin-password"
XSS = "<img src=x onerror=alert(1)>"
# Every page of both browsers records alerts instead of showing them, so markup that ran would be noticed.
ALERT_HOOK = "window.__alerts = []; window.alert = (m) => { window.__alerts.push(String(m)); };"
IGNORED = (StaleElementReferenceException, NoSuchElementException, JavascriptException)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(driver, check, what, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=IGNORED).until(
        lambda d: check(d), message=f"timed out waiting for {what}")


class Desk:
    """CareDesk on a free port with its data in a temp folder; can be killed and started again on both."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="caredesk-e2e-chat-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Nothing of the CI server's settings (its data folder) may leak in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
        self.env.update(CAREDESK_DATA_DIR=self.dir, CAREDESK_SMTP_LISTEN="off")
        self.log_path = os.path.join(self.dir, "server.log")
        self.process = None
        self.cli("admin", "create", "--email", ADMIN_EMAIL, "--name", "Chat Admin", "--password", ADMIN_PASSWORD)
        self.token = self.cli("token", "create", "--email", ADMIN_EMAIL, "--name", "e2e-chat").strip().splitlines()[-1]

    def cli(self, *args):
        return subprocess.run([BIN, *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True, timeout=60).stdout

    def start(self):
        with open(self.log_path, "a") as log:
            log.write(f"--- serve started by the test at {time.strftime('%H:%M:%S')} ---\n")
            log.flush()
            self.process = subprocess.Popen([BIN, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)], cwd=ROOT,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 40
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"caredesk serve exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                if urllib.request.urlopen(self.base + "/readyz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("caredesk serve did not become ready\n" + self.log_tail())

    def kill(self):
        """A crash, not a shutdown: no chance to say goodbye to the sockets."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def api(self, path):
        req = urllib.request.Request(self.base + "/api/v1" + path, headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read())

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "--- server log (tail) ---\n" + "".join(f.readlines()[-lines:])
        except OSError:
            return "(no server log)"


class Site:
    """The customer's own web site: a plain page on another origin (localhost, not 127.0.0.1) with the embed line."""

    def __init__(self):
        self.snippet = ""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop</title></head>"
                        f"<body><h1>Our shop</h1><p>Welcome.</p>{site.snippet}</body></html>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Link:
    """The visitor's network path to the desk: a TCP relay their browser is pointed at (host-resolver-rules), so
    the test can cut it. DevTools' offline emulation alone leaves an open WebSocket open (Chromium 156), so a cut
    here is what drops the widget's socket, as a real network loss does; while cut, new connections are reset."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.up = True
        self.deaf = False  # when set, what the desk sends towards the visitor is lost (e.g. an ack)
        self.connections = 0
        self.sockets = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset, not a goodbye
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += 1
                self.sockets.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src, dst, to_visitor=False):
        try:
            while data := src.recv(65536):
                if not (to_visitor and self.deaf):
                    dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            self.sockets.discard(src)

    def cut(self):
        self.up = False
        with self.lock:
            for s in list(self.sockets):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def restore(self):
        self.deaf = False
        self.up = True

    def stop(self):
        self.cut()
        self.listener.close()


def chromium(*extra_args):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000", *extra_args):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_HOOK})
    return driver


@pytest.fixture()
def world():
    if not os.path.exists(BIN):
        pytest.skip(f"{BIN} not built")
    desk = site = link = agent = visitor = None
    try:
        desk = Desk()
        desk.start()
        site = Site()
        link = Link(desk.port)
        agent = chromium()
        # The visitor reaches the desk's address (the one in the embed line) through the link.
        visitor = chromium(f"--host-resolver-rules=MAP 127.0.0.1:{desk.port} 127.0.0.1:{link.port}")
        yield desk, site, link, agent, visitor
    finally:
        for driver in (agent, visitor):
            if driver:
                try:
                    driver.quit()
                except Exception:
                    pass
        if site:
            site.stop()
        if link:
            link.stop()
        if desk:
            desk.stop()
            shutil.rmtree(desk.dir, ignore_errors=True)


# --- the visitor's side: the widget lives in <caredesk-widget>'s open shadow root ---------------------------

def widget_state(visitor):
    return visitor.execute_script("return window.CareDeskWidget ? window.CareDeskWidget.state() : null")


def shadow(visitor):
    return visitor.find_element(By.CSS_SELECTOR, "caredesk-widget").shadow_root


def widget_input(visitor):
    return shadow(visitor).find_element(By.CSS_SELECTOR, ".composer textarea")


def shown_messages(visitor):
    """What the visitor sees in the panel: (visitor|agent, text) per message, in order (the greeting is not one)."""
    return visitor.execute_script("""
        const root = document.querySelector('caredesk-widget').shadowRoot;
        return [...root.querySelectorAll('.list .msg')].map(el =>
            [el.classList.contains('visitor') ? 'visitor' : 'agent', el.querySelector('.bubble').textContent]);""")


def visitor_writes(visitor, text):
    box = widget_input(visitor)
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def settled(visitor):
    s = widget_state(visitor)
    return s and s["connected"] and s["pending"] == 0 and all(m["id"] for m in s["messages"])


def set_offline(driver, offline):
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


# --- the agent's side ----------------------------------------------------------------------------------

def thread_text(agent):
    return agent.find_element(By.ID, "thread").text


def thread_bodies(agent):
    return agent.execute_script(
        "return [...document.querySelectorAll('#thread li.message')].map(li => "
        "[li.className, (li.querySelector('.body') || {}).textContent || '', (li.querySelector('.delivery') || {}).textContent || ''])")


def agent_replies(agent, text):
    box = agent.find_element(By.ID, "reply-body")
    box.click()
    box.send_keys(text)
    agent.find_element(By.ID, "reply-send").click()
    until(agent, lambda d: text in thread_text(d), f"the reply '{text}' in the agent's thread")


def test_web_chat_end_to_end(world):
    desk, site, link, agent, visitor = world
    started = time.monotonic()
    marker = uuid.uuid4().hex[:6]
    try:
        run(desk, site, link, agent, visitor, marker)
    except BaseException:
        print(desk.log_tail())
        try:
            print("--- visitor state ---\n", json.dumps(widget_state(visitor), ensure_ascii=False))
            print("--- visitor console ---")
            for entry in visitor.get_log("browser")[-30:]:
                print(entry.get("level"), entry.get("message"))
        except Exception as e:  # the browser itself may be what broke
            print("(no visitor state:", e, ")")
        raise
    print(f"web chat end to end took {time.monotonic() - started:.1f}s")


def run(desk, site, link, agent, visitor, marker):
    # 1. The admin signs in and creates the widget; the key comes from the embed line on the widget's page.
    agent.get(desk.base + "/login")
    agent.find_element(By.NAME, "email").send_keys(ADMIN_EMAIL)
    agent.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    agent.find_element(By.ID, "login-submit").click()
    until(agent, lambda d: d.find_element(By.ID, "inbox"), "the inbox after signing in")
    agent.get(desk.base + "/admin/chat-widgets")
    agent.find_element(By.ID, "cw-name").send_keys(f"Shop chat {marker}")
    agent.find_element(By.ID, "cw-origins").send_keys(site.origin)
    assert agent.find_element(By.CSS_SELECTOR, "#cw-team option:checked").get_attribute("value") == ""
    agent.find_element(By.CSS_SELECTOR, "form.chat-widget-form button[type=submit]").click()
    snippet = until(agent, lambda d: d.find_element(By.ID, "embed-snippet").text.strip(), "the embed line")
    found = re.fullmatch(r'<script src="([^"]+)/widget\.js" data-widget="([^"]+)" async></script>', snippet)
    assert found, f"unexpected embed line: {snippet!r}"
    assert found.group(1) == desk.base, snippet
    site.snippet = snippet

    # The agent waits in the inbox (a CareDesk screen open: the widget's agents are online).
    agent.get(desk.base + "/inbox")
    until(agent, lambda d: "online" in d.find_element(By.ID, "live-status").get_attribute("class"), "the agent's live socket")

    # 2. The visitor, on the shop's page, opens the chat and writes as a person would.
    visitor.get(site.origin + "/")
    until(visitor, lambda d: d.find_element(By.CSS_SELECTOR, "caredesk-widget").shadow_root
          .find_element(By.CSS_SELECTOR, "button.launcher"), "the widget's launcher").click()
    until(visitor, lambda d: widget_input(d).is_displayed(), "the open chat panel")
    until(visitor, lambda d: widget_state(d)["connected"], "the widget's socket")
    first = f"Hello, my order {marker} did not arrive"
    visitor_writes(visitor, first)
    until(visitor, lambda d: settled(d), "the first message acknowledged")

    # The chat appears live in the agent's inbox; the agent opens it from there.
    def open_chat(d):
        rows = d.find_elements(By.CSS_SELECTOR, "#inbox-rows tr.conversation-row")
        if not rows:
            return False
        rows[0].find_element(By.CSS_SELECTOR, "a.conversation-link").click()
        return True
    until(agent, open_chat, "the chat in the agent's inbox (live)")
    until(agent, lambda d: d.find_element(By.ID, "reply-body"), "the conversation page")
    conversation_id = int(agent.find_element(By.ID, "conversation").get_attribute("data-conversation-id"))
    until(agent, lambda d: first in thread_text(d), "the visitor's message in the thread")
    until(agent, lambda d: "online" in d.find_element(By.ID, "live-status").get_attribute("class"), "the agent's live socket")
    # Opening the conversation marked the message read: the visitor sees "Read" under it.
    until(visitor, lambda d: shadow(d).find_element(By.CSS_SELECTOR, ".list .msg.visitor:last-child .status").text == "Read",
          "'Read' under the visitor's message")

    # Typing: the agent sees the customer typing while the visitor types, then the message arrives live.
    second = f"It was order number {marker}-2"
    box = widget_input(visitor)
    box.send_keys(second)
    until(agent, lambda d: "typing" in d.find_element(By.ID, "presence").text, "'The customer is typing…' on the agent's page", 15)
    box.send_keys(Keys.ENTER)
    until(agent, lambda d: second in thread_text(d), "the second message live in the agent's thread")

    # The agent answers through the composer; the visitor's panel shows it within seconds.
    reply1 = f"Sorry about that, checking {marker} now"
    agent_replies(agent, reply1)
    t0 = time.monotonic()
    until(visitor, lambda d: any(m["from"] == "agent" and m["text"] == reply1 for m in widget_state(d)["messages"]),
          "the agent's reply in the widget", 15)
    assert time.monotonic() - t0 < 10, "the reply took too long to reach the visitor"
    # The visitor's open panel reads it; the agent sees "seen" under the reply.
    until(agent, lambda d: any(reply1 in body and "seen" in delivery.lower() for _, body, delivery in thread_bodies(d)),
          "'seen' under the agent's reply", 15)

    # 3a. The desk crashes and comes back on the same port and data; the visitor writes meanwhile.
    desk.kill()
    until(visitor, lambda d: not widget_state(d)["connected"], "the widget noticing the dropped socket", 15)
    during_restart = [f"Are you still there? {marker}-3", f"Hello? {marker}-4"]
    for text in during_restart:
        visitor_writes(visitor, text)
    until(visitor, lambda d: widget_state(d)["pending"] == 2, "two messages pending while the desk is down", 10)
    desk.start()
    until(agent, lambda d: "online" in d.find_element(By.ID, "live-status").get_attribute("class"),
          "the agent's socket back after the restart", 30)
    reply2 = f"Yes, still here {marker}-r2"
    agent_replies(agent, reply2)
    until(visitor, settled, "the widget reconnected by itself with nothing pending", 40)
    until(visitor, lambda d: any(m["text"] == reply2 for m in widget_state(d)["messages"]), "the reply sent during the restart", 20)

    # 3b. The visitor's network goes away (the open socket drops, DevTools reports the browser offline); the
    # visitor writes, the agent answers meanwhile; then the network comes back.
    assert link.connections > 0, "the visitor's browser did not go through the link"
    link.cut()
    set_offline(visitor, True)
    try:
        until(visitor, lambda d: not widget_state(d)["connected"], "the widget noticing the cut network", 15)
        offline_texts = [f"My connection is bad {marker}-5", f"Last try {marker}-6 {XSS}"]
        for text in offline_texts:
            visitor_writes(visitor, text)
        reply3 = f"We can see your messages {marker}-r3"
        agent_replies(agent, reply3)
        offline_state = widget_state(visitor)
        assert not offline_state["connected"] and offline_state["pending"] == 2, offline_state
        assert not any(m["text"] == reply3 for m in offline_state["messages"]), "the reply reached a cut-off visitor"
    finally:
        set_offline(visitor, False)
        link.restore()
    until(visitor, settled, "the widget reconnected after the network came back, nothing pending", 40)
    until(visitor, lambda d: any(m["text"] == reply3 for m in widget_state(d)["messages"]), "the reply sent while offline", 20)
    until(agent, lambda d: all(t in thread_text(d) for t in offline_texts), "the offline messages in the agent's thread", 20)

    # 3c. A lost acknowledgement: the message reaches the desk and is stored, but nothing comes back before the
    # network goes. After reconnecting, the widget must learn that it is stored (from the welcome, or from the
    # ack of sending it again with the same clientId) and neither show nor store it twice.
    link.deaf = True
    lost_ack = f"Did you get this one? {marker}-7"
    visitor_writes(visitor, lost_ack)
    until(agent, lambda d: lost_ack in thread_text(d), "the message whose ack is lost, stored and shown to the agent", 20)
    assert widget_state(visitor)["pending"] == 1, widget_state(visitor)
    link.cut()
    until(visitor, lambda d: not widget_state(d)["connected"], "the widget noticing the cut network", 15)
    link.restore()
    until(visitor, settled, "the widget reconnected after the lost ack, nothing pending", 40)

    # Every message exactly once: in the database, in the agent's thread, in the widget's state and on screen.
    visitor_texts = [first, second, *during_restart, *offline_texts, lost_ack]
    agent_texts = [reply1, reply2, reply3]
    stored = desk.api(f"/conversations/{conversation_id}/messages?limit=100")["data"]
    stored_texts = [m.get("text") or "" for m in stored]
    for text in visitor_texts + agent_texts:
        assert sum(1 for s in stored_texts if s.strip() == text) == 1, f"{text!r} stored {stored_texts.count(text)} times: {stored_texts}"
    inbound = [m["text"].strip() for m in stored if m.get("direction") == "inbound"]
    assert sorted(inbound) == sorted(visitor_texts), inbound

    bodies = [body.strip() for _, body, _ in thread_bodies(agent)]
    for text in visitor_texts + agent_texts:
        assert bodies.count(text) == 1, f"{text!r} shown {bodies.count(text)} times in the agent's thread: {bodies}"

    state = widget_state(visitor)
    ids = [m["id"] for m in state["messages"]]
    assert len(ids) == len(set(ids)), f"a message twice in the widget: {state['messages']}"
    in_state = [(m["from"], m["text"]) for m in state["messages"]]
    expected = sorted([("visitor", t) for t in visitor_texts] + [("agent", t) for t in agent_texts])
    assert sorted(in_state) == expected, in_state
    on_screen = [tuple(x) for x in shown_messages(visitor)]
    assert sorted(on_screen) == expected, on_screen

    # 4. The markup stayed text on both sides: no element made of it, nothing ran.
    assert visitor.execute_script(
        "return document.querySelectorAll('img').length + document.querySelector('caredesk-widget').shadowRoot.querySelectorAll('img').length") == 0
    assert any(XSS in text for _, text in on_screen)
    assert not agent.find_elements(By.CSS_SELECTOR, "#thread img")
    assert any(XSS in body for body in bodies)
    assert XSS in thread_text(agent)
    assert visitor.execute_script("return window.__alerts") == []
    assert agent.execute_script("return window.__alerts") == []
