#!/usr/bin/env python3
"""Web chat load generator for CareDesk (docs/CHAT.md). Needs aiohttp (`pip install aiohttp`).

What it does, against a running `caredesk serve` with an admin agent and an API token:
 1. Signs in as the admin over HTTP (POST /login) and, unless --widget is given, creates a chat widget through
    the admin form (POST /admin/chat-widgets with the page's CSRF token; no team, any origin).
 2. Opens --agents agent screens: WebSockets on /ws with the admin's session cookie and the server's own Origin,
    as the inbox page does. They receive every CareEvent as JSON ({"kind":"message.created",...}).
 3. Creates --visitors visitors (POST /chat/widgets/KEY/visitors, Origin https://shop.bench.test). The server
    allows 30 new visitors per IP address and then one every 2 s, so the visitors come from --source-ips
    loopback addresses 127.0.0.2, 127.0.0.3, ... (each client socket is bound to one; no X-Forwarded-For).
    Each visitor opens its socket (/chat/widgets/KEY/socket) from its address, sends hello and waits for welcome.
 4. Warm-up (--warmup s): every visitor sends its first message at a random moment, which opens its conversation
    (new customer, conversation, visitor row update). Their ack times are reported apart ("first message").
 5. Measured time (--seconds): each visitor writes a message after exponentially distributed pauses (Poisson,
    mean --interval s, at least 1 s), as the widget does: {"type":"typing","active":true} about 3 s and 1 s
    before, then {"type":"typing","active":false} and {"type":"message","clientId":uuid,"text":...}.
    Agents reply through the REST API (POST /api/v1/messages, direction outbound, bearer token) at
    --reply-rate per second (Poisson; default visitors / interval, i.e. as many replies as messages in), each to
    a random visitor's conversation; the visitor's socket answers each reply with {"type":"read","upTo":id} as
    the widget does with the panel open.
 6. Drain (--drain s): no new sends; waits for everything still in flight, then closes every socket.

Measured (only what was sent in the measured time; monotonic clock of this process):
 - visitor -> agent: from writing the message frame to the moment an agent socket receives the message.created
   event with that message's id (one sample per agent socket and message; "first agent" = the earliest of them);
 - ack: from writing the message frame to the visitor's ack;
 - agent -> visitor: from the start of the HTTP request (POST /api/v1/messages) to the moment the visitor's socket
   receives {"type":"message"} with that reply. This includes the HTTP round trip; the request's own time (to
   its 201) is reported too.
Errors: any {"type":"error"} frame, non-201 HTTP answers, lost sockets, acks that never came, messages no agent
socket received (or received twice), replies the visitor never received (or received twice, or on the wrong
visitor). The client's own event-loop lag is reported, so that a slow load generator is not blamed on the server.

Usage: chat_load.py --port 8080 --email admin@x --password ... --api-token ... [--visitors 500] [--seconds 60]
"""
import argparse
import asyncio
import collections
import json
import math
import random
import re
import resource
import sys
import time
import uuid

import aiohttp

SITE_ORIGIN = "https://shop.bench.test"

VISITOR_LINES = [
    "Καλησπέρα, η παραγγελία μου 48213 δεν έχει φτάσει ακόμα. Μπορείτε να δείτε τι γίνεται;",
    "Θέλω να αλλάξω το μέγεθος στα παπούτσια που παρήγγειλα χθες.",
    "Πότε θα γίνει η επιστροφή των χρημάτων στην κάρτα μου;",
    "Ο κωδικός έκπτωσης δεν δουλεύει στο καλάθι.",
    "Poštovani, narudžba 77120 još nije stigla, možete li provjeriti?",
    "Mogu li promijeniti adresu dostave? Preselila sam se.",
    "Hvala, to je sve što sam trebala.",
    "Uređaj se ne uključuje nakon ažuriranja, što da radim?",
    "Hi, is the blue one back in stock anytime soon?",
    "ok thanks",
    "Can I pay on delivery?",
    "Ευχαριστώ πολύ!",
]
AGENT_LINES = [
    "Καλησπέρα σας! Το δέμα σας είναι στο κέντρο διανομής και θα το έχετε αύριο.",
    "Φυσικά, σας στέλνω τώρα τον σύνδεσμο για την αλλαγή.",
    "Η επιστροφή έγινε σήμερα· θα τη δείτε σε 3–5 εργάσιμες.",
    "Pozdrav! Paket je u sortirnom centru i stiže sutra.",
    "Naravno, adresu možemo promijeniti dok paket nije poslan. Koja je nova adresa?",
    "Thanks for waiting! It is back in stock next Tuesday.",
    "Yes, cash on delivery is available for orders under 300 €.",
]
REPLY_TAG = re.compile(r"^\[b(\d+)\]")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)  # nearest rank, as smtp_load.py
    return values[min(len(values) - 1, max(0, math.ceil(p / 100.0 * len(values)) - 1))]


def summary(values):
    """p50/p95/p99/max in ms of a list of seconds."""
    return {k: (round(v * 1000, 1) if v == v else None) for k, v in (
        ("p50", percentile(values, 50)), ("p95", percentile(values, 95)), ("p99", percentile(values, 99)),
        ("max", max(values) if values else float("nan")))} | {"n": len(values)}


def fmt(s):
    if not s["n"]:
        return "no samples"
    return f"{s['p50']} / {s['p95']} / {s['p99']} / {s['max']} ms (n={s['n']})"


class Run:
    def __init__(self, args):
        self.args = args
        self.phase = "setup"  # setup, warmup, measure, drain, done
        self.errors = collections.Counter()
        self.examples = []
        # Visitor messages, by clientId: visitor, send time, phase; filled in by the ack.
        self.sent = {}
        self.by_id = {}  # message id -> clientId
        # message id -> [(agent index, time, conversation id)] of message.created events on agent sockets.
        self.agent_events = collections.defaultdict(list)
        # Replies: seq -> dict(visitor, t0, measured, http_done, status, id, delivered[])
        self.replies = {}
        self.reply_seq = 0
        self.echoes = 0
        self.frames_in = collections.Counter()
        self.events_in = collections.Counter()
        self.loop_lag = []
        self.setup_429 = 0

    def error(self, kind, detail=""):
        self.errors[kind] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {detail}"[:300])


class Visitor:
    def __init__(self, index, session):
        self.index = index
        self.session = session
        self.token = None
        self.ws = None
        self.welcome = asyncio.Event()
        self.conversation_id = None
        self.closing = False


async def sign_in(http, base, email, password):
    async with http.post(f"{base}/login", data={"email": email, "password": password, "next": "/inbox"},
                         allow_redirects=False) as r:
        cookie = r.cookies.get("caredesk_session")
        if r.status not in (302, 303) or cookie is None:
            raise SystemExit(f"sign-in failed: HTTP {r.status}")
        return f"caredesk_session={cookie.value}"


async def create_widget(http, base, cookie):
    headers = {"Cookie": cookie}
    async with http.get(f"{base}/admin/chat-widgets", headers=headers) as r:
        page = await r.text()
    m = re.search(r'name="_csrf" value="([^"]+)"', page)
    if not m:
        raise SystemExit("no CSRF token on /admin/chat-widgets")
    form = {"_csrf": m.group(1), "name": "Bench chat", "team": "", "mailbox": "", "colour": "#0b6e4f",
            "position": "right", "language": "auto", "greeting_en": "Hello! How can we help?", "greeting_el": "",
            "greeting_hr": "", "allowed_origins": "", "upload_max_mb": "5", "upload_types": "image/*, application/pdf",
            "time_zone": "Europe/Athens", "active": "on"}
    for i in range(7):
        form[f"day_{i}"] = ""
    async with http.post(f"{base}/admin/chat-widgets", data=form, headers=headers, allow_redirects=False) as r:
        location = r.headers.get("Location")
        if r.status not in (302, 303) or not location:
            raise SystemExit(f"creating the widget failed: HTTP {r.status} {(await r.text())[:300]}")
    async with http.get(base + location, headers=headers) as r:
        page = await r.text()
    m = re.search(r'data-widget=(?:&quot;|"|&#34;|&#x22;)([A-Za-z0-9_-]+)', page)
    if not m:
        raise SystemExit("no widget key on " + location)
    return m.group(1)


async def create_visitor(run, v, base, key):
    url = f"{base}/chat/widgets/{key}/visitors"
    for _ in range(20):
        async with v.session.post(url, headers={"Origin": SITE_ORIGIN}) as r:
            if r.status == 429:  # should not happen with enough source addresses; wait as the widget would
                run.setup_429 += 1
                await asyncio.sleep(float(r.headers.get("Retry-After", "2")))
                continue
            if r.status != 201:
                raise SystemExit(f"creating a visitor failed: HTTP {r.status} {(await r.text())[:200]}")
            v.token = (await r.json())["token"]
            return
    raise SystemExit("creating a visitor: still rate limited")


async def visitor_reader(run, v):
    async for msg in v.ws:
        t = time.perf_counter()
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        f = json.loads(msg.data)
        typ = f.get("type")
        run.frames_in[typ] += 1
        if typ == "ack":
            cid = f.get("clientId")
            s = run.sent.get(cid)
            if s is None or s["v"] is not v:
                run.error("unexpected_ack", msg.data)
                continue
            if s["ack"] is not None:
                run.error("duplicate_ack", cid)
                continue
            s["ack"] = t
            s["id"] = f["message"]["id"]
            run.by_id[s["id"]] = cid
            events = run.agent_events.get(s["id"])
            if events and v.conversation_id is None:
                v.conversation_id = events[0][2]
        elif typ == "message":
            m = f["message"]
            if m.get("from") == "agent":
                tag = REPLY_TAG.match(m.get("text", ""))
                r = run.replies.get(int(tag.group(1))) if tag else None
                if r is None:
                    run.error("unknown_agent_message", m.get("text", "")[:80])
                    continue
                if r["v"] is not v:
                    run.error("reply_to_wrong_visitor", m.get("text", "")[:80])
                    continue
                r["delivered"].append(t)
                if len(r["delivered"]) > 1:
                    run.error("reply_delivered_twice", m.get("text", "")[:80])
                    continue
                if run.args.read:
                    await v.ws.send_str(json.dumps({"type": "read", "upTo": m["id"]}))
            else:
                run.echoes += 1  # the visitor's own message, as other tabs see it
        elif typ == "welcome":
            v.welcome.set()
        elif typ == "error":
            run.error("error_frame_" + str(f.get("code")), msg.data)
    if not v.closing:
        run.error("visitor_socket_closed", f"visitor {v.index}: {v.ws.close_code}")


async def agent_reader(run, index, ws, ready):
    async for msg in ws:
        t = time.perf_counter()
        if msg.type != aiohttp.WSMsgType.TEXT:
            break
        e = json.loads(msg.data)
        kind = e.get("kind")
        run.events_in[kind] += 1
        if kind == "ready":
            ready.set()
        elif kind == "message.created":
            mid = e.get("messageId")
            run.agent_events[mid].append((index, t, e.get("conversationId")))
            cid = run.by_id.get(mid)
            if cid is not None:
                v = run.sent[cid]["v"]
                if v.conversation_id is None:
                    v.conversation_id = e.get("conversationId")
    if run.phase != "done":
        run.error("agent_socket_closed", f"agent {index}: {ws.close_code}")


async def visitor_send(run, v, text):
    cid = str(uuid.uuid4())
    run.sent[cid] = {"v": v, "t": time.perf_counter(), "phase": run.phase, "ack": None, "id": None}
    await v.ws.send_str(json.dumps({"type": "message", "clientId": cid, "text": text}))


async def visitor_loop(run, v, rng, warmup_end, measure_end):
    # First message somewhere in the warm-up: opens the conversation.
    await asyncio.sleep(rng.uniform(0, max(0.0, warmup_end - time.perf_counter() - 2)))
    await visitor_send(run, v, rng.choice(VISITOR_LINES))
    await asyncio.sleep(max(0.0, warmup_end - time.perf_counter()) + rng.uniform(0, run.args.interval))
    while time.perf_counter() < measure_end:
        if run.args.typing:
            await v.ws.send_str('{"type":"typing","active":true}')
            await asyncio.sleep(2.0)
            await v.ws.send_str('{"type":"typing","active":true}')
            await asyncio.sleep(1.0)
            await v.ws.send_str('{"type":"typing","active":false}')
        if time.perf_counter() >= measure_end:
            break
        await visitor_send(run, v, rng.choice(VISITOR_LINES))
        pause = max(1.0, rng.expovariate(1.0 / run.args.interval))
        await asyncio.sleep(max(0.0, pause - (3.0 if run.args.typing else 0.0)))


async def reply(run, api, base, v, rng):
    run.reply_seq += 1
    seq = run.reply_seq
    r = {"v": v, "t0": time.perf_counter(), "measured": run.phase == "measure", "http_done": None, "status": None,
         "delivered": []}
    run.replies[seq] = r
    body = {"direction": "outbound", "conversationId": v.conversation_id, "text": f"[b{seq}] " + rng.choice(AGENT_LINES)}
    try:
        async with api.post(f"{base}/api/v1/messages", json=body) as resp:
            await resp.read()
            r["http_done"] = time.perf_counter()
            r["status"] = resp.status
            if resp.status != 201:
                run.error(f"reply_http_{resp.status}", (await resp.text())[:200])
    except Exception as e:  # noqa: BLE001 — any failure is an error of the run
        r["status"] = -1
        run.error("reply_failed", repr(e))


async def replier(run, api, base, visitors, rng, measure_end):
    rate = run.args.reply_rate
    tasks = set()
    next_t = time.perf_counter()
    while True:
        next_t += rng.expovariate(rate)
        if next_t >= measure_end:
            break
        await asyncio.sleep(max(0.0, next_t - time.perf_counter()))
        candidates = [v for v in (rng.choice(visitors) for _ in range(5)) if v.conversation_id is not None]
        if not candidates:
            run.error("no_conversation_to_reply_to")
            continue
        t = asyncio.create_task(reply(run, api, base, candidates[0], rng))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def lag_monitor(run):
    while run.phase != "done":
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        if run.phase == "measure":
            run.loop_lag.append(time.perf_counter() - t - 0.01)


def outstanding(run):
    n_agents = run.args.agents
    missing = 0
    for s in run.sent.values():
        if s["ack"] is None or len(run.agent_events.get(s["id"], ())) < n_agents:
            missing += 1
    for r in run.replies.values():
        if r["status"] is None or (r["status"] == 201 and not r["delivered"]):
            missing += 1
    return missing


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--api-token", required=True)
    p.add_argument("--widget", help="widget key (default: create one through the admin form)")
    p.add_argument("--visitors", type=int, default=500)
    p.add_argument("--agents", type=int, default=3, help="agent screens (/ws sockets) open")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=15)
    p.add_argument("--drain", type=float, default=10)
    p.add_argument("--interval", type=float, default=10, help="mean seconds between a visitor's messages")
    p.add_argument("--reply-rate", type=float, help="agent replies per second (default visitors / interval)")
    p.add_argument("--source-ips", type=int, default=0, help="loopback source addresses (default visitors / 25)")
    p.add_argument("--no-typing", dest="typing", action="store_false", help="no typing frames before messages")
    p.add_argument("--no-read", dest="read", action="store_false", help="no read frames after replies")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="write the result here")
    args = p.parse_args()
    if args.reply_rate is None:
        args.reply_rate = args.visitors / args.interval
    n_ips = args.source_ips or max(1, math.ceil(args.visitors / 25))
    base = f"http://{args.host}:{args.port}"
    ws_base = f"ws://{args.host}:{args.port}"
    run = Run(args)
    rng = random.Random(args.seed)
    started = time.perf_counter()

    timeout = aiohttp.ClientTimeout(total=30)
    http = aiohttp.ClientSession(timeout=timeout)
    cookie = await sign_in(http, base, args.email, args.password)
    key = args.widget or await create_widget(http, base, cookie)

    # Agent screens.
    agent_sockets, agent_tasks = [], []
    for i in range(args.agents):
        ws = await http.ws_connect(f"{ws_base}/ws", headers={"Cookie": cookie, "Origin": base}, max_msg_size=0)
        ready = asyncio.Event()
        agent_tasks.append(asyncio.create_task(agent_reader(run, i, ws, ready)))
        await asyncio.wait_for(ready.wait(), 10)
        agent_sockets.append(ws)

    # Visitors, spread over loopback source addresses.
    sessions = [aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(
        limit=0, local_addr=(f"127.0.0.{2 + i}", 0))) for i in range(n_ips)]
    visitors = [Visitor(i, sessions[i % n_ips]) for i in range(args.visitors)]
    t = time.perf_counter()
    sem = asyncio.Semaphore(16)

    async def make(v):
        async with sem:
            await create_visitor(run, v, base, key)
    await asyncio.gather(*(make(v) for v in visitors))
    created_s = time.perf_counter() - t

    t = time.perf_counter()
    reader_tasks = []
    online = collections.Counter()

    async def connect(v):
        async with sem:
            v.ws = await v.session.ws_connect(f"{ws_base}/chat/widgets/{key}/socket", headers={"Origin": SITE_ORIGIN})
            reader_tasks.append(asyncio.create_task(visitor_reader(run, v)))
            await v.ws.send_str(json.dumps({"type": "hello", "token": v.token, "after": 0}))
            await asyncio.wait_for(v.welcome.wait(), 30)
    await asyncio.gather(*(connect(v) for v in visitors))
    connected_s = time.perf_counter() - t
    print(f"widget {key}; {args.agents} agent sockets; {args.visitors} visitors created in {created_s:.1f} s from "
          f"{n_ips} source addresses, sockets open and welcomed in {connected_s:.1f} s", flush=True)

    api = aiohttp.ClientSession(timeout=timeout, headers={"Authorization": f"Bearer {args.api_token}"},
                                connector=aiohttp.TCPConnector(limit=16))
    lag = asyncio.create_task(lag_monitor(run))
    now = time.perf_counter()
    warmup_end = now + args.warmup
    measure_end = warmup_end + args.seconds
    run.phase = "warmup"
    loops = [asyncio.create_task(visitor_loop(run, v, random.Random(f"{args.seed}-{v.index}"), warmup_end, measure_end))
             for v in visitors]
    await asyncio.sleep(max(0.0, warmup_end - time.perf_counter()))
    run.phase = "measure"
    print(f"warm-up done: {len(run.sent)} first messages sent; measuring {args.seconds:g} s", flush=True)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.perf_counter()
    rep = asyncio.create_task(replier(run, api, base, visitors, rng, measure_end))
    await asyncio.sleep(max(0.0, measure_end - time.perf_counter()))
    run.phase = "drain"
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall1 = time.perf_counter()
    await asyncio.gather(*loops, rep)
    drain_end = time.perf_counter() + args.drain
    while time.perf_counter() < drain_end and outstanding(run):
        await asyncio.sleep(0.1)
    run.phase = "done"
    for v in visitors:
        v.closing = True
    await asyncio.gather(*(v.ws.close() for v in visitors), *(ws.close() for ws in agent_sockets), return_exceptions=True)
    await asyncio.gather(*reader_tasks, *agent_tasks, lag, return_exceptions=True)
    for s in sessions + [http, api]:
        await s.close()

    # ---- results
    n_agents = args.agents
    v2a_all, v2a_first, ack, first_ack = [], [], [], []
    measured_msgs = 0
    for cid, s in run.sent.items():
        if s["ack"] is None:
            run.error("no_ack", cid)
            continue
        events = run.agent_events.get(s["id"], [])
        per_agent = collections.Counter(i for i, _, _ in events)
        for i in range(n_agents):
            if per_agent[i] == 0:
                run.error("agent_missed_message", f"message {s['id']} on agent socket {i}")
            elif per_agent[i] > 1:
                run.error("agent_got_message_twice", f"message {s['id']} on agent socket {i}")
        if s["phase"] == "warmup":
            first_ack.append(s["ack"] - s["t"])
            continue
        if s["phase"] != "measure":
            continue
        measured_msgs += 1
        ack.append(s["ack"] - s["t"])
        times = [t for _, t, _ in events]
        v2a_all.extend(t - s["t"] for t in times)
        if times:
            v2a_first.append(min(times) - s["t"])
    a2v, a2v_http, a2v_after = [], [], []
    measured_replies = 0
    for seq, r in run.replies.items():
        if r["status"] != 201:
            continue
        if not r["delivered"]:
            run.error("reply_not_delivered", f"reply b{seq}")
            continue
        if r["measured"]:
            measured_replies += 1
            a2v.append(r["delivered"][0] - r["t0"])
            a2v_http.append(r["http_done"] - r["t0"])
            a2v_after.append(r["delivered"][0] - r["http_done"])
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    wall = wall1 - wall0
    errors_total = sum(run.errors.values())
    result = {
        "visitors": args.visitors, "agents": n_agents, "seconds": round(wall, 1), "warmup": args.warmup,
        "interval": args.interval, "reply_rate": args.reply_rate, "typing": args.typing, "read": args.read,
        "messages_measured": measured_msgs, "messages_per_s": round(measured_msgs / wall, 1),
        "replies_measured": measured_replies, "replies_per_s": round(measured_replies / wall, 1),
        "visitor_to_agent": summary(v2a_all), "visitor_to_first_agent": summary(v2a_first), "ack": summary(ack),
        "first_message_ack": summary(first_ack),
        "agent_to_visitor": summary(a2v), "agent_reply_http": summary(a2v_http),
        "agent_to_visitor_after_201": summary(a2v_after),
        "frames_to_visitors": dict(run.frames_in), "events_to_agents": dict(run.events_in),
        "client_cpu_s": round(cpu, 1), "client_cpu_share": round(cpu / wall, 2) if wall else None,
        "client_loop_lag": summary(run.loop_lag),
        "errors": errors_total, "error_kinds": dict(run.errors), "error_examples": run.examples,
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(f"measured {wall:.1f} s: {measured_msgs} visitor messages ({result['messages_per_s']}/s), "
          f"{measured_replies} agent replies ({result['replies_per_s']}/s); typing frames {'on' if args.typing else 'off'}, "
          f"read frames {'on' if args.read else 'off'}")
    print("                                    p50 / p95 / p99 / max")
    print(f"visitor -> agent (every agent socket): {fmt(result['visitor_to_agent'])}")
    print(f"visitor -> first agent socket:       {fmt(result['visitor_to_first_agent'])}")
    print(f"visitor ack:                         {fmt(result['ack'])}")
    print(f"agent -> visitor (from HTTP start):  {fmt(result['agent_to_visitor'])}")
    print(f"  of which the HTTP request (to 201): {fmt(result['agent_reply_http'])}")
    print(f"  push after the 201 (negative: before): {fmt(result['agent_to_visitor_after_201'])}")
    print(f"first message ack (warm-up, opens the conversation): {fmt(result['first_message_ack'])}")
    print(f"events to agent sockets: {dict(sorted(run.events_in.items()))}")
    print(f"frames to visitors: {dict(sorted(run.frames_in.items()))}")
    print(f"load generator: {cpu:.1f} s CPU in {wall:.1f} s ({result['client_cpu_share']} of a core); "
          f"event-loop lag p99 / max {result['client_loop_lag']['p99']} / {result['client_loop_lag']['max']} ms")
    print(f"errors: {errors_total}")
    for k, n in sorted(run.errors.items()):
        print(f"  {n} x {k}")
    for e in run.examples[:10]:
        print(f"  e.g. {e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 1 if errors_total else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
