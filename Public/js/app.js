// CareDesk agent screens: live updates over one WebSocket, presence, keyboard shortcuts.
// Everything shown comes as server-rendered (escaped) HTML fragments; this file never builds markup from data.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const page = document.body.dataset.page;
const me = Number(document.body.dataset.agentId);
const conversationEl = document.getElementById("conversation");
const conversationId = conversationEl ? Number(conversationEl.dataset.conversationId) : null;

// --- live connection -------------------------------------------------------
let socket = null;
let retryDelay = 500;
const statusEl = document.getElementById("live-status");

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${proto}//${location.host}/ws`);
  socket.addEventListener("open", () => {
    retryDelay = 500;
    statusEl?.classList.add("online");
    if (statusEl) statusEl.textContent = statusEl.dataset.online;
    // Whatever happened while we were away: fetch the current state once.
    refreshAll();
  });
  socket.addEventListener("message", (e) => {
    try { onEvent(JSON.parse(e.data)); } catch (_) { /* ignore malformed frames */ }
  });
  socket.addEventListener("close", () => {
    statusEl?.classList.remove("online");
    if (statusEl) statusEl.textContent = statusEl.dataset.offline;
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  });
}

function send(obj) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
}

// --- fragments ---------------------------------------------------------------
const pending = new Map();
function debounced(key, fn, ms = 120) {
  clearTimeout(pending.get(key));
  pending.set(key, setTimeout(fn, ms));
}

async function replaceFrom(url, targetId) {
  const res = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
  if (!res.ok) return;
  const html = await res.text();
  const target = document.getElementById(targetId);
  if (target) target.innerHTML = html;
}

function refreshInbox() {
  const inbox = document.getElementById("inbox");
  if (!inbox) return;
  const before = new Set([...document.querySelectorAll("#inbox-rows tr")].map((r) => r.dataset.id));
  replaceFrom(`/inbox/rows?${inbox.dataset.query}`, "inbox-live").then(() => {
    for (const row of document.querySelectorAll("#inbox-rows tr")) {
      if (!before.has(row.dataset.id)) row.classList.add("flash");
    }
  });
}

function refreshThread() {
  if (!conversationId) return;
  const thread = document.getElementById("thread");
  const atBottom = thread ? (window.innerHeight + window.scrollY >= document.body.scrollHeight - 80) : false;
  replaceFrom(`/conversations/${conversationId}/thread`, "thread-live").then(() => {
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  });
}

function refreshDetails() {
  if (!conversationId) return;
  // Do not replace the properties form under an agent who is editing it.
  if (document.activeElement && document.getElementById("details")?.contains(document.activeElement)) return;
  replaceFrom(`/conversations/${conversationId}/details`, "details-live");
}

function refreshAll() {
  if (page === "inbox") refreshInbox();
  if (conversationId) { refreshThread(); refreshDetails(); }
}

// --- presence ----------------------------------------------------------------
const viewers = new Map(); // agentId -> {name, seen, typingUntil}
let customerTypingUntil = 0; // a chat visitor typing (they send a refresh every 2 s while typing)
const presenceEl = document.getElementById("presence");

function renderPresence() {
  if (!presenceEl) return;
  const now = Date.now();
  for (const [id, v] of viewers) if (now - v.seen > 25000) viewers.delete(id);
  const names = [...viewers.values()].map((v) => v.name);
  const typing = [...viewers.values()].filter((v) => v.typingUntil > now).map((v) => v.name);
  const parts = [];
  if (customerTypingUntil > now) parts.push(presenceEl.dataset.customerTyping);
  if (names.length) parts.push(presenceEl.dataset.viewing.replace("{0}", names.join(", ")));
  if (typing.length) parts.push(presenceEl.dataset.typing.replace("{0}", typing.join(", ")));
  presenceEl.textContent = parts.join(" · ");
}

function announceViewing() {
  if (conversationId) send({ type: "viewing", conversationId });
}

// Waiting times in the list ("waiting 12 min") move on even when nothing happens.
if (page === "inbox") setInterval(refreshInbox, 30000);

if (conversationId) {
  setInterval(announceViewing, 10000);
  setInterval(renderPresence, 2000);
  window.addEventListener("pagehide", () => send({ type: "left", conversationId }));
  let lastTyping = 0;
  document.getElementById("reply-body")?.addEventListener("input", () => {
    if (Date.now() - lastTyping > 3000) {
      lastTyping = Date.now();
      send({ type: "typing", conversationId });
    }
  });
}

// --- events ------------------------------------------------------------------
function onEvent(ev) {
  // The server listens from its "ready" frame on; anything sent earlier could be lost.
  if (ev.kind === "ready") { announceViewing(); return; }
  if (ev.kind === "viewing" || ev.kind === "typing" || ev.kind === "left") {
    if (ev.conversationId !== conversationId || ev.agentId === me) return;
    if (ev.kind === "left") { viewers.delete(ev.agentId); renderPresence(); return; }
    const v = viewers.get(ev.agentId) ?? { name: ev.agentName, seen: 0, typingUntil: 0 };
    v.seen = Date.now();
    if (ev.kind === "typing") v.typingUntil = Date.now() + 5000;
    else if (!viewers.has(ev.agentId)) send({ type: "viewing", conversationId }); // let the newcomer see us too
    viewers.set(ev.agentId, v);
    renderPresence();
    return;
  }
  if (ev.kind === "customer.typing") {
    if (ev.conversationId !== conversationId) return;
    customerTypingUntil = ev.active === false ? 0 : Date.now() + 6000;
    renderPresence();
    return;
  }
  // A visitor read our replies ("seen"); our own read marks change nothing on screen.
  if (ev.kind === "chat.read" && ev.agentId) return;
  if (page === "inbox") debounced("inbox", refreshInbox);
  if (conversationId && ev.conversationId === conversationId) {
    if (ev.kind === "message.created") debounced("thread", refreshThread, 50);
    debounced("details", () => { refreshThread(); refreshDetails(); });
  }
}

// --- composer tabs and forms ---------------------------------------------------
function showTab(which) {
  const reply = document.getElementById("reply-form"), note = document.getElementById("note-form");
  if (!reply || !note) return;
  reply.hidden = which !== "reply";
  note.hidden = which !== "note";
  document.getElementById("tab-reply")?.setAttribute("aria-selected", String(which === "reply"));
  document.getElementById("tab-note")?.setAttribute("aria-selected", String(which === "note"));
  document.getElementById(which === "reply" ? "reply-body" : "note-body")?.focus();
}
document.getElementById("tab-reply")?.addEventListener("click", () => showTab("reply"));
document.getElementById("tab-note")?.addEventListener("click", () => showTab("note"));

// Composer forms are sent with fetch so the page (and what others type) stays put; the thread refreshes live.
for (const id of ["reply-form", "note-form"]) {
  const form = document.getElementById(id);
  form?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    if (e.submitter?.name) data.set(e.submitter.name, e.submitter.value);
    // Multipart only when files go along; plain forms stay URL-encoded.
    const hasFiles = [...form.querySelectorAll("input[type=file]")].some((i) => i.files.length > 0);
    const res = await fetch(form.action, {
      method: "POST", body: hasFiles ? data : new URLSearchParams(data), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrf },
    });
    if (res.ok) {
      form.querySelector("textarea").value = "";
      form.querySelectorAll("input[type=file]").forEach((i) => { i.value = ""; });
      refreshThread();
      refreshDetails();
    } else {
      form.submit(); // let the server's error page explain
    }
  });
  form?.querySelector("textarea")?.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
}

// --- keyboard shortcuts ----------------------------------------------------------
document.addEventListener("keydown", (e) => {
  const t = e.target;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) {
    if (e.key === "Escape") t.blur();
    return;
  }
  switch (e.key) {
    case "r": if (conversationId) { e.preventDefault(); showTab("reply"); } break;
    case "n": if (conversationId) { e.preventDefault(); showTab("note"); } break;
    case "m": document.getElementById("assign-me-form")?.requestSubmit(); break;
    case "x": document.getElementById("resolve-form")?.requestSubmit(); break;
    case "j":
      if (conversationId) document.getElementById("next-conversation")?.click();
      else document.querySelector("#inbox-rows a.conversation-link")?.click();
      break;
    case "/": e.preventDefault(); document.getElementById("top-q")?.focus(); break;
    case "?": document.querySelector("details.shortcuts")?.toggleAttribute("open"); break;
  }
});

if (page !== "login") connect();
