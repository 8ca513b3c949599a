// CareDesk chat widget. A site embeds it with
//   <script src="https://DESK/widget.js" data-widget="KEY" async></script>
// and it speaks the protocol in docs/CHAT.md. Plain JavaScript, no dependencies, one file: the CSS lives here
// too and is put into a Shadow DOM so the site's styles and ours never meet.
// Everything a visitor or an agent wrote (and every string from the server) reaches the page through
// textContent / Text nodes only; this file never uses innerHTML.
(() => {
  "use strict";
  if (window.CareDeskWidget) return; // the snippet pasted twice: one widget is enough

  // --- where we come from --------------------------------------------------
  // With `async`, document.currentScript can be null, so fall back to the tag that loaded widget.js.
  const script = document.currentScript || [...document.querySelectorAll("script[src][data-widget]")]
    .reverse().find((s) => /\/widget\.js(?:[?#].*)?$/.test(s.src));
  if (!script || !script.dataset.widget) return;
  const KEY = script.dataset.widget;
  // Resolve against the script's own address (not the page's), so CareDesk may also live under a sub-path.
  const API = new URL("chat/widgets/" + encodeURIComponent(KEY), new URL(".", script.src)).href;
  const SOCKET_URL = API.replace(/^http/, "ws") + "/socket";

  // --- storage ---------------------------------------------------------------
  // localStorage can throw (blocked storage, some private modes); then we keep things for this page only.
  const memory = {};
  const store = {
    get(name) { try { return localStorage.getItem(`caredesk.${KEY}.${name}`); } catch { return memory[name] ?? null; } },
    set(name, value) { try { localStorage.setItem(`caredesk.${KEY}.${name}`, String(value)); } catch { memory[name] = String(value); } },
    remove(name) { try { localStorage.removeItem(`caredesk.${KEY}.${name}`); } catch { delete memory[name]; } },
  };
  // Pending messages are read fresh every time because other tabs of the same site change the list too.
  function readPending() {
    try {
      const list = JSON.parse(store.get("pending") || "[]");
      return Array.isArray(list) ? list.filter((p) => p && typeof p.clientId === "string" && typeof p.text === "string") : [];
    } catch { return []; }
  }
  function writePending(list) { list.length ? store.set("pending", JSON.stringify(list)) : store.remove("pending"); }
  function addPending(p) { writePending([...readPending().filter((x) => x.clientId !== p.clientId), p]); }
  function removePending(clientId) {
    const list = readPending();
    if (list.some((p) => p.clientId === clientId)) writePending(list.filter((p) => p.clientId !== clientId));
  }

  // --- state -------------------------------------------------------------------
  let config = null;               // GET /chat/widgets/KEY
  let ui = null;                   // DOM elements, once built
  let wantOpen = false;            // open() called before the settings arrived
  let isOpen = false;
  let ws = null;                   // the socket, from creation until it closes
  let connected = false;           // true between `welcome` and the socket closing
  let attempt = 0;                 // reconnect attempts since the last welcome
  let reconnectTimer = 0, pingTimer = 0, helloTimer = 0, lastFrameAt = 0;
  let visitorPromise = null;       // a visitor being created, shared by the socket and uploads
  const messages = [];             // shown messages in display order: {id, clientId, from, agentName, text, at, attachments, failed, el}
  let lastShownId = 0;             // `after` for hello: 0 on a fresh page, so a returning visitor sees the history
  const lastAtLoad = Number(store.get("last")) || 0; // what an earlier page had shown: older agent replies are not "unread"
  let firstWelcome = true;
  let readUpTo = 0, lastReadSent = 0;
  let visitor = { name: null, email: null };
  let online = true, backAt = null;
  let ended = false, freshChat = false; // freshChat: "Start a new chat" clicked, so a welcome's old `ended` is stale
  let unread = 0;
  let typingSentAt = 0, typingActive = false, typingIdle = 0, agentTypingHide = 0;
  let localSeq = 0;                // orders messages written before the server has them
  let emailAction = null;          // which form an invalid_email answer belongs to: "identify" or "end"
  let transcriptTo = null;
  const held = new Map();          // clientId -> timer, for messages waiting after rate_limited / server_error

  // --- small helpers -------------------------------------------------------------
  function t(key, ...args) {
    const s = (config && config.text && typeof config.text[key] === "string") ? config.text[key] : key;
    return s.replace(/\{(\d)\}/g, (_, i) => String(args[i] ?? ""));
  }
  // Builds an element; string children become Text nodes, so they can never turn into markup.
  function h(tag, props = {}, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
    return el;
  }
  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    clip: "M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7",
    send: "M3 20l18-8L3 4v6l12 2-12 2z",
  };
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }
  function newClientId() {
    if (crypto.randomUUID) return crypto.randomUUID(); // only in secure contexts; plain-http pages take the fallback
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  const lang = () => (config && config.lang) || "en";
  function humanSize(bytes) {
    const [n, unit] = bytes >= 1048576 ? [bytes / 1048576, "megabyte"] : bytes >= 1024 ? [bytes / 1024, "kilobyte"] : [bytes, "byte"];
    try { return new Intl.NumberFormat(lang(), { style: "unit", unit, maximumFractionDigits: 1 }).format(n); }
    catch { return Math.round(n) + " " + unit; }
  }
  function dayDiff(from, to) {
    const midnight = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    return Math.round((midnight(to) - midnight(from)) / 86400000); // round: a DST day is 23 or 25 hours
  }
  // "today 09:00", "tomorrow 09:00", "Monday 09:00", or with the date when it is more than a week away,
  // all in the visitor's own time zone.
  function formatBackAt(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const time = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }; // "09:00": no "a.m." clashing with the sentence's full stop
    const days = dayDiff(new Date(), d);
    if (days === 0 || days === 1) {
      return new Intl.RelativeTimeFormat(lang(), { numeric: "auto" }).format(days, "day") + " " +
        new Intl.DateTimeFormat(lang(), time).format(d);
    }
    const when = days > 0 && days < 7 ? { weekday: "long" } : { weekday: "long", day: "numeric", month: "long" };
    return new Intl.DateTimeFormat(lang(), { ...when, ...time }).format(d);
  }
  function formatAt(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return "";
    const opts = dayDiff(d, new Date()) === 0 ? {} : { day: "numeric", month: "short" };
    return new Intl.DateTimeFormat(lang(), { ...opts, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);
  }
  // Text on the brand colour: black or white, whichever reads better.
  function onColour(hex) {
    let c = hex.slice(1);
    if (c.length <= 4) c = [...c].map((x) => x + x).join("");
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(c.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.18 ? "#111" : "#fff";
  }

  // --- styles ----------------------------------------------------------------------
  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d232a; }
button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.launcher { position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; width: 56px; height: 56px; border: 0;
  border-radius: 50%; background: var(--cd-colour); color: var(--cd-on); box-shadow: 0 4px 14px rgba(0,0,0,.3);
  display: flex; align-items: center; justify-content: center; padding: 0; }
.left .launcher { right: auto; left: 20px; }
.launcher:focus-visible { outline: 3px solid #111; box-shadow: 0 0 0 6px #fff; }
.launcher svg { width: 28px; height: 28px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #c01c28; color: #fff; font-size: 12px; font-weight: 700; line-height: 22px; text-align: center; }
.panel { position: fixed; bottom: 88px; right: 20px; z-index: 2147483001; width: 370px; height: min(600px, calc(100vh - 110px));
  display: flex; flex-direction: column; background: #fff; border-radius: 12px; overflow: hidden;
  box-shadow: 0 8px 30px rgba(0,0,0,.25); }
.left .panel { right: auto; left: 20px; }
@media (max-width: 480px) {
  .panel, .left .panel { top: 0; left: 0; right: 0; bottom: 0; width: auto; height: auto; border-radius: 0; }
}
.head { display: flex; align-items: center; gap: 6px; padding: 10px 10px 10px 16px; background: var(--cd-colour); color: var(--cd-on); }
.head h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.head button { background: transparent; border: 1px solid transparent; border-radius: 6px; padding: 4px 8px; font-size: 13px; }
.head .end { border-color: currentColor; }
.head .x { width: 34px; height: 34px; padding: 5px; display: flex; }
.head svg { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; }
.head :focus-visible { outline-color: currentColor; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: #f5f6f8; }
.info { background: #fff; border: 1px dashed #aab1b9; border-radius: 10px; padding: 8px 12px; font-size: 14px; }
.info p { margin: 0 0 4px; } .info p:last-child { margin: 0; }
.msg { max-width: 85%; align-self: flex-start; display: flex; flex-direction: column; align-items: flex-start; }
.msg.visitor { align-self: flex-end; align-items: flex-end; }
.meta { font-size: 12px; color: #5c6670; margin: 0 4px 2px; }
.bubble { padding: 8px 12px; border-radius: 14px; background: #fff; border: 1px solid #dfe3e8; white-space: pre-wrap;
  overflow-wrap: anywhere; max-width: 100%; }
.bubble:empty { display: none; }
.visitor .bubble { background: var(--cd-colour); color: var(--cd-on); border-color: transparent; }
.files { display: flex; flex-direction: column; gap: 4px; margin-top: 4px; align-items: inherit; }
.files img { display: block; max-width: 100%; max-height: 240px; border-radius: 8px; border: 1px solid #dfe3e8; background: #fff; }
.files a { color: #1a5fb4; overflow-wrap: anywhere; }
.status { font-size: 12px; color: #5c6670; margin: 2px 4px 0; }
.status:empty { display: none; }
.status.failed { color: #b00020; }
.typing { padding: 4px 16px; font-size: 13px; color: #5c6670; font-style: italic; background: #f5f6f8; }
.notice { padding: 6px 14px; font-size: 13px; background: #fff4ce; color: #4d3800; }
.notice:empty { display: none; }
.details { border-top: 1px solid #e3e6ea; padding: 2px 14px; font-size: 13px; }
.linkbtn { background: none; border: 0; padding: 4px 0; color: #1a5fb4; text-decoration: underline; }
.fields { display: grid; gap: 8px; padding: 6px 0 8px; }
.fields label { display: grid; gap: 2px; }
.fields input[type=text], .fields input[type=email] { font-size: 16px; padding: 6px 8px; border: 1px solid #aab1b9; border-radius: 6px; width: 100%; }
.check { display: flex !important; align-items: center; gap: 6px; }
.row { display: flex; gap: 8px; flex-wrap: wrap; }
.primary, .secondary { border-radius: 6px; padding: 8px 14px; font-weight: 600; }
.primary { background: var(--cd-colour); color: var(--cd-on); border: 0; }
.secondary { background: #fff; border: 1px solid #aab1b9; }
.error { color: #b00020; }
.box { border-top: 1px solid #e3e6ea; padding: 10px 14px; display: grid; gap: 8px; }
.box p { margin: 0; }
.composer { display: flex; align-items: flex-end; gap: 6px; padding: 8px; border-top: 1px solid #e3e6ea; }
.composer textarea { flex: 1; resize: none; font-size: 16px; min-height: 40px; max-height: 120px; padding: 8px 10px;
  border: 1px solid #aab1b9; border-radius: 8px; }
.iconbtn { flex: none; width: 40px; height: 40px; border: 0; border-radius: 8px; background: transparent; color: #3d4650;
  display: flex; align-items: center; justify-content: center; padding: 0; }
.iconbtn svg { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.iconbtn.send { background: var(--cd-colour); color: var(--cd-on); }
.send svg { fill: currentColor; stroke: none; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  // --- building the UI --------------------------------------------------------------
  function buildUI() {
    // An element name no site stylesheet targets, and inline `all: initial` against their `* {}` rules.
    const host = h("caredesk-widget", { "data-caredesk-widget": KEY });
    host.style.cssText = "all: initial !important";
    const colour = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(config.colour || "") ? config.colour : "#1a5fb4";
    host.style.setProperty("--cd-colour", colour);
    host.style.setProperty("--cd-on", onColour(colour));
    const shadow = host.attachShadow({ mode: "open" });
    // A constructed stylesheet is not an inline <style>, so sites whose Content-Security-Policy forbids inline
    // styles (as CareDesk's own pages do) still show the widget styled; the <style> element is the fallback.
    let style = null;
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (_) {
      style = document.createElement("style");
      style.textContent = CSS;
    }
    const u = {};
    u.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    u.launcherIcon = icon("chat");
    u.launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "cd-panel",
      onclick: () => (isOpen ? close() : open()) }, u.launcherIcon, u.badge);

    u.endBtn = h("button", { type: "button", class: "end", hidden: true, onclick: showConfirm }, t("widget.end"));
    u.header = h("div", { class: "head" },
      h("h2", { id: "cd-title" }, config.title || ""),
      u.endBtn,
      h("button", { type: "button", class: "x", "aria-label": t("widget.close"), onclick: () => close() }, icon("close")));

    u.offline = h("div", { class: "info", hidden: true });
    u.list = h("div", { class: "list", style: "display:contents" });
    u.log = h("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0", "aria-label": config.title || "" },
      u.offline,
      config.greeting ? renderMessageEl({ from: "agent", agentName: config.title, text: config.greeting, attachments: [] }) : null,
      u.list);
    u.typing = h("div", { class: "typing", hidden: true });
    u.notice = h("div", { class: "notice", role: "status" });

    u.details = buildDetails();
    u.confirm = buildConfirm();
    u.endedText = h("p", {});
    u.newChatBtn = h("button", { type: "button", class: "primary", onclick: newChat }, t("widget.new_chat"));
    u.endedBox = h("div", { class: "box", hidden: true }, u.endedText, h("div", { class: "row" }, u.newChatBtn));
    u.composer = buildComposer();

    u.panel = h("div", { class: "panel", id: "cd-panel", role: "dialog", "aria-labelledby": "cd-title", hidden: true,
      onkeydown: (e) => { if (e.key === "Escape") { e.preventDefault(); close(); } } },
      u.header, u.log, u.typing, u.notice, u.details.el, u.confirm.el, u.endedBox, u.composer.el);

    u.root = h("div", { class: "root" + (config.position === "left" ? " left" : "") }, u.launcher, u.panel);
    if (style) shadow.append(style);
    shadow.append(u.root);
    document.body.append(host);
    return u;
  }

  function buildDetails() {
    const d = {};
    d.name = h("input", { type: "text", autocomplete: "name", maxlength: "200" });
    d.email = h("input", { type: "email", autocomplete: "email", required: true, maxlength: "320" });
    d.result = h("p", { role: "status", style: "margin:0" });
    d.form = h("form", { class: "fields", id: "cd-details", hidden: true, novalidate: true, onsubmit: saveDetails },
      h("label", {}, t("widget.name"), d.name),
      h("label", {}, t("widget.email"), d.email),
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("widget.save"))));
    d.toggle = h("button", { type: "button", class: "linkbtn", "aria-expanded": "false", "aria-controls": "cd-details",
      onclick: () => setDetailsOpen(d.form.hidden) }, t("widget.details"));
    d.el = h("div", { class: "details" }, d.toggle, d.form, d.result);
    return d;
  }

  function buildConfirm() {
    const c = {};
    c.check = h("input", { type: "checkbox" });
    c.email = h("input", { type: "email", autocomplete: "email", "aria-label": t("widget.email"), maxlength: "320" });
    c.error = h("p", { class: "error", role: "alert" });
    c.transcript = h("div", { class: "fields", hidden: !config.emailFollowUp },
      h("label", { class: "check" }, c.check, t("widget.transcript")), c.email);
    c.ok = h("button", { type: "button", class: "primary", onclick: confirmEnd }, t("widget.end"));
    c.cancel = h("button", { type: "button", class: "secondary", onclick: hideConfirm }, t("widget.cancel"));
    c.el = h("div", { class: "box", hidden: true }, h("p", {}, t("widget.end_confirm")), c.transcript, c.error,
      h("div", { class: "row" }, c.ok, c.cancel));
    c.email.addEventListener("input", () => { c.check.checked = c.email.value.trim() !== ""; });
    return c;
  }

  function buildComposer() {
    const c = {};
    c.input = h("textarea", { rows: "1", maxlength: "10000", placeholder: t("widget.placeholder"), "aria-label": t("widget.placeholder") });
    c.input.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter is a new line; not while an input method is composing (Greek, CJK...).
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
    });
    c.input.addEventListener("input", () => { autosize(); onVisitorTyping(); });
    c.file = h("input", { type: "file", hidden: true, tabindex: "-1",
      accept: config.uploads && Array.isArray(config.uploads.types) ? config.uploads.types.join(",") : null,
      onchange: () => { const f = c.file.files[0]; c.file.value = ""; if (f) pickFile(f); } });
    c.attach = config.uploads ? h("button", { type: "button", class: "iconbtn", "aria-label": t("widget.attach"),
      title: t("widget.attach"), onclick: () => c.file.click() }, icon("clip")) : null;
    c.send = h("button", { type: "button", class: "iconbtn send", "aria-label": t("widget.send"), title: t("widget.send"),
      onclick: sendText }, icon("send"));
    c.el = h("div", { class: "composer" }, c.attach, c.file, c.input, c.send);
    return c;
  }
  function autosize() {
    const ta = ui.composer.input;
    ta.style.height = "auto";
    ta.style.height = Math.min(ta.scrollHeight + 2, 120) + "px";
  }

  // --- opening and closing -------------------------------------------------------------
  function open() {
    if (!ui) { wantOpen = true; return; }
    isOpen = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.replaceChildren(icon("close"), ui.badge);
    unread = 0;
    renderBadge();
    scrollToEnd();
    focusInPanel();
    sendRead();
    // A first-time visitor is created only when they open the chat, not on every page view.
    if (!ws) reconnectNow(true);
  }
  function close() {
    if (!ui) { wantOpen = false; return; }
    isOpen = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.replaceChildren(ui.launcherIcon, ui.badge);
    renderBadge();
    ui.launcher.focus();
  }
  function focusInPanel() {
    if (ended) ui.newChatBtn.focus();
    else if (!ui.confirm.el.hidden) ui.confirm.ok.focus();
    else ui.composer.input.focus();
  }
  function renderBadge() {
    ui.badge.hidden = isOpen || unread === 0;
    ui.badge.textContent = unread > 9 ? "9+" : String(unread);
    const label = isOpen ? t("widget.close") : t("widget.open");
    ui.launcher.setAttribute("aria-label", unread && !isOpen ? `${label} (${unread})` : label);
  }
  function notice(text) { ui.notice.textContent = text || ""; }
  function scrollToEnd() { ui.log.scrollTop = ui.log.scrollHeight; }

  // --- messages --------------------------------------------------------------------------
  function renderMessageEl(m) {
    const el = h("div", { class: "msg " + (m.from === "visitor" ? "visitor" : "agent") });
    el.append(h("div", { class: "meta" }), h("div", { class: "bubble" }), h("div", { class: "files" }), h("div", { class: "status" }));
    fillMessageEl(el, m);
    return el;
  }
  function fillMessageEl(el, m) {
    const [meta, bubble, files] = el.children;
    const who = m.from === "visitor" ? t("widget.you") : (m.agentName || config.title || "");
    meta.textContent = [who, formatAt(m.at)].filter(Boolean).join(" · ");
    bubble.textContent = m.text || "";
    const key = (m.attachments || []).map((a) => a.index + ":" + a.name).join("|") + "@" + (m.id || "");
    if (files.dataset.key !== key) { // re-render files only when they changed, not on every status update
      files.dataset.key = key;
      files.replaceChildren(...(m.attachments || []).map((a) => renderAttachment(m, a)));
    }
  }
  function renderAttachment(m, a) {
    const name = String(a.name || "file");
    if (/^image\//.test(a.type || "")) {
      const img = h("img", { alt: name });
      blobUrl(m, a).then((url) => { img.src = url; }).catch(() => img.replaceWith(downloadLink(m, a)));
      return img;
    }
    return downloadLink(m, a);
  }
  function downloadLink(m, a) {
    const name = String(a.name || "file");
    const link = h("a", { href: "#" }, t("widget.download", name), typeof a.size === "number" ? ` (${humanSize(a.size)})` : "");
    link.addEventListener("click", async (e) => {
      e.preventDefault();
      try {
        const tmp = h("a", { href: await blobUrl(m, a), download: name });
        link.after(tmp); tmp.click(); tmp.remove();
      } catch { notice(t("widget.error")); }
    });
    return link;
  }
  // Files need the visitor's token, which an <img src> cannot send: fetch them and show an object URL.
  function blobUrl(m, a) {
    m.urls = m.urls || {};
    if (!m.urls[a.index]) {
      m.urls[a.index] = (async () => {
        if (m.localFile && a.index === 0) return URL.createObjectURL(m.localFile); // our own upload: no need to fetch
        if (!m.id) throw new Error("not stored yet");
        const res = await fetch(`${API}/files/${m.id}/${a.index}`, { headers: { Authorization: "Bearer " + store.get("token") } });
        if (!res.ok) throw new Error("file " + res.status);
        return URL.createObjectURL(await res.blob());
      })();
      m.urls[a.index].catch(() => { delete m.urls[a.index]; }); // let a later render try again
    }
    return m.urls[a.index];
  }

  function findByClientId(clientId) { return clientId ? messages.find((x) => x.clientId === clientId) : undefined; }
  // Adds a message the visitor just wrote, before the server has it.
  function addLocal(m) {
    const existing = findByClientId(m.clientId);
    if (existing) return existing;
    const msg = { id: null, from: "visitor", agentName: null, at: new Date().toISOString(), attachments: [], failed: false,
      after: lastShownId, seq: ++localSeq, ...m };
    msg.el = renderMessageEl(msg);
    messages.push(msg);
    ui.list.append(msg.el);
    afterChange(true);
    return msg;
  }
  // Adds or updates a stored MESSAGE. The same message can come as an ack, as a `message` frame and in a
  // welcome, so it is matched by id and by clientId and never shown twice.
  function upsert(m, fromWelcome) {
    if (!m || typeof m.id !== "number") return;
    const nearEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
    let msg = messages.find((x) => x.id === m.id) || findByClientId(m.clientId);
    const isNew = !msg;
    if (isNew) { msg = {}; messages.push(msg); }
    Object.assign(msg, {
      id: m.id, clientId: m.clientId || msg.clientId || null, from: m.from === "visitor" ? "visitor" : "agent",
      agentName: m.agentName || null, text: typeof m.text === "string" ? m.text : "", at: m.at,
      attachments: Array.isArray(m.attachments) ? m.attachments : [], failed: false,
    });
    if (msg.from === "visitor" && msg.clientId) { removePending(msg.clientId); unhold(msg.clientId); }
    if (msg.el) fillMessageEl(msg.el, msg); else msg.el = renderMessageEl(msg);
    if (m.id > lastShownId) { lastShownId = m.id; store.set("last", m.id); }
    if (isNew && msg.from === "agent") {
      hideAgentTyping();
      if (!isOpen && !(fromWelcome && firstWelcome && m.id <= lastAtLoad)) { unread++; renderBadge(); }
    }
    afterChange(isNew && (nearEnd || msg.from === "visitor"));
  }
  function afterChange(scroll) {
    reorder();
    renderStatuses();
    ui.endBtn.hidden = ended || messages.length === 0;
    if (scroll) scrollToEnd();
    sendRead();
  }
  // Stored messages in id order; one not stored (yet) stays after the messages that were shown when it was
  // written. Only nodes out of place are moved, so the live region does not announce everything again.
  function sortKey(m) { return m.id ? [m.id, 0] : [m.after, m.seq]; }
  function reorder() {
    messages.sort((a, b) => { const x = sortKey(a), y = sortKey(b); return x[0] - y[0] || x[1] - y[1]; });
    messages.forEach((m, i) => { if (ui.list.children[i] !== m.el) ui.list.insertBefore(m.el, ui.list.children[i] || null); });
  }
  // The delivery status shows only under the visitor's last message (to keep it calm), "Not sent" under any.
  function renderStatuses() {
    const mine = messages.filter((m) => m.from === "visitor");
    const last = mine[mine.length - 1];
    for (const m of mine) {
      const status = m.el.lastChild;
      let text = "";
      if (m.failed) text = t("widget.failed");
      else if (m === last) text = !m.id ? t("widget.sending") : m.id <= readUpTo ? t("widget.read") : t("widget.delivered");
      status.textContent = text;
      status.classList.toggle("failed", !!m.failed);
    }
  }
  function markFailed(clientId) {
    removePending(clientId);
    unhold(clientId);
    const m = findByClientId(clientId);
    if (m && !m.id) { m.failed = true; renderStatuses(); }
  }
  function setReadUpTo(n) {
    if (typeof n === "number" && n > readUpTo) { readUpTo = n; renderStatuses(); }
  }

  // --- sending -------------------------------------------------------------------------
  function frame(obj) {
    if (!connected || !ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }
  function sendText() {
    const input = ui.composer.input;
    const text = input.value.trim();
    if (!text || ended) return;
    const clientId = newClientId();
    addPending({ clientId, text });     // kept until the ack, so a reload or a drop does not lose it
    addLocal({ clientId, text });
    input.value = "";
    autosize();
    stopTyping();
    frame({ type: "message", clientId, text }); // when offline, the next welcome sends it
    if (!ws) reconnectNow(true);
    input.focus();
  }
  // After every welcome: everything not yet acknowledged goes again; the server stores each clientId once.
  function resendPending() {
    for (const p of readPending()) {
      const shown = findByClientId(p.clientId);
      if (shown && shown.id) { removePending(p.clientId); continue; } // stored; only the ack was lost
      if (!shown) addLocal({ clientId: p.clientId, text: p.text });  // written in another tab or before a reload
      if (!held.has(p.clientId)) frame({ type: "message", clientId: p.clientId, text: p.text });
    }
  }
  // rate_limited / server_error: keep the message pending and send it again after a while.
  function hold(clientId, seconds) {
    unhold(clientId);
    held.set(clientId, setTimeout(() => {
      held.delete(clientId);
      const p = readPending().find((x) => x.clientId === clientId);
      if (p) frame({ type: "message", clientId, text: p.text });
      if (ui.notice.textContent === t("widget.rate_limited") && held.size === 0) notice("");
    }, Math.max(0.5, Number(seconds) || 1) * 1000));
  }
  function unhold(clientId) { clearTimeout(held.get(clientId)); held.delete(clientId); }

  function onVisitorTyping() {
    const now = Date.now();
    if (ui.composer.input.value.trim() && now - typingSentAt >= 2000) {
      typingSentAt = now;
      typingActive = frame({ type: "typing", active: true }) || typingActive;
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  }
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingActive) frame({ type: "typing", active: false });
    typingActive = false;
    typingSentAt = 0;
  }
  function showAgentTyping(f) {
    clearTimeout(agentTypingHide);
    if (!f.active) return hideAgentTyping();
    ui.typing.textContent = t("widget.agent_typing", f.agentName || config.title || "");
    ui.typing.hidden = false;
    agentTypingHide = setTimeout(hideAgentTyping, 6000); // the agent's tab may have gone away without saying so
  }
  function hideAgentTyping() { clearTimeout(agentTypingHide); ui.typing.hidden = true; }

  // Tell agents what the visitor has seen: only while the panel is open and the page visible.
  function sendRead() {
    if (!isOpen || document.visibilityState !== "visible") return;
    const upTo = messages.reduce((max, m) => (m.from === "agent" && m.id > max ? m.id : max), 0);
    if (upTo > lastReadSent && frame({ type: "read", upTo })) lastReadSent = upTo;
  }

  // --- attachments -------------------------------------------------------------------------
  function typeAllowed(type, patterns) {
    if (!Array.isArray(patterns) || !patterns.length) return true;
    return patterns.some((p) => p === "*/*" || p === type || (p.endsWith("/*") && type.startsWith(p.slice(0, -1))));
  }
  function pickFile(file) {
    const up = config.uploads;
    if (!up || ended) return;
    if (typeof up.maxBytes === "number" && file.size > up.maxBytes) return notice(t("widget.file_too_large", humanSize(up.maxBytes)));
    if (!file.type || !typeAllowed(file.type, up.types)) return notice(t("widget.file_type"));
    notice("");
    const clientId = newClientId();
    const msg = addLocal({ clientId, text: "", localFile: file, attachments: [{ index: 0, name: file.name, type: file.type, size: file.size }] });
    upload(msg, file);
  }
  // Files are not kept in localStorage (too big), so an upload is retried only while this page lives.
  async function upload(msg, file, tries = 0) {
    let res;
    try {
      const token = await ensureToken();
      res = await fetch(`${API}/uploads?clientId=${encodeURIComponent(msg.clientId)}&name=${encodeURIComponent(file.name)}`,
        { method: "POST", headers: { Authorization: "Bearer " + token, "Content-Type": file.type }, body: file });
    } catch {
      if (tries < 5) return void setTimeout(() => upload(msg, file, tries + 1), 1000 * 2 ** tries);
      return uploadFailed(msg, t("widget.error"));
    }
    if (res.status === 201 || res.ok) {
      const body = await res.json().catch(() => null);
      if (body && body.message) return upsert({ ...body.message, clientId: body.message.clientId || msg.clientId });
      return uploadFailed(msg, t("widget.error"));
    }
    if (res.status === 429 || res.status >= 500) {
      if (res.status === 429) notice(t("widget.rate_limited"));
      const wait = Number(res.headers.get("Retry-After")) || 2 ** tries;
      if (tries < 5) return void setTimeout(() => upload(msg, file, tries + 1), wait * 1000);
    }
    if (res.status === 401) { store.remove("token"); if (tries < 1) return upload(msg, file, tries + 1); }
    uploadFailed(msg, res.status === 413 ? t("widget.file_too_large", humanSize(config.uploads?.maxBytes || file.size))
      : res.status === 415 ? t("widget.file_type") : t("widget.error"));
  }
  function uploadFailed(msg, text) { msg.failed = true; renderStatuses(); notice(text); }

  // --- your details, offline, ending ---------------------------------------------------------
  function setDetailsOpen(openIt) {
    ui.details.form.hidden = !openIt;
    ui.details.toggle.setAttribute("aria-expanded", String(openIt));
    if (openIt) ui.details.name.focus();
  }
  function saveDetails(e) {
    e.preventDefault();
    const d = ui.details;
    const name = d.name.value.trim(), email = d.email.value.trim();
    if (!email || !d.email.checkValidity()) return void (d.result.textContent = t("widget.invalid_email"));
    emailAction = "identify";
    d.result.textContent = frame({ type: "identify", name: name || null, email }) ? "" : t("widget.reconnecting");
  }
  function onIdentified(f) {
    visitor = { name: f.name ?? null, email: f.email ?? null };
    fillVisitor();
    ui.details.result.textContent = t("widget.identified", f.name || f.email || "", f.email || "");
    ui.details.form.hidden = true;
    ui.details.toggle.setAttribute("aria-expanded", "false");
    renderOffline();
  }
  function fillVisitor() {
    if (visitor.name && !ui.details.name.value) ui.details.name.value = visitor.name;
    if (visitor.email && !ui.details.email.value) ui.details.email.value = visitor.email;
  }
  function renderOffline() {
    const box = ui.offline;
    box.hidden = online;
    if (online) return;
    const back = backAt ? formatBackAt(backAt) : "";
    const askEmail = config.emailFollowUp && !visitor.email;
    box.replaceChildren(...[h("p", {}, t("widget.offline")), back && h("p", {}, t("widget.back_at", back)),
      askEmail && h("p", {}, t("widget.leave_email"))].filter(Boolean));
    if (askEmail && ui.details.form.hidden && !ui.details.result.textContent) {
      ui.details.form.hidden = false; // offline: the e-mail is how the answer will reach them
      ui.details.toggle.setAttribute("aria-expanded", "true");
    }
  }
  function showConfirm() {
    const c = ui.confirm;
    c.error.textContent = "";
    c.email.value = visitor.email || c.email.value;
    c.check.checked = !!c.email.value;
    c.ok.removeAttribute("aria-disabled");
    c.el.hidden = false;
    ui.composer.el.hidden = true;
    (config.emailFollowUp ? c.check : c.ok).focus();
  }
  function hideConfirm() {
    ui.confirm.el.hidden = true;
    ui.composer.el.hidden = ended;
    ui.endBtn.focus();
  }
  function confirmEnd() {
    const c = ui.confirm;
    if (c.ok.getAttribute("aria-disabled") === "true") return;
    const email = c.email.value.trim();
    const wantsTranscript = config.emailFollowUp && c.check.checked;
    if (wantsTranscript && (!email || !c.email.checkValidity())) return void (c.error.textContent = t("widget.invalid_email"));
    transcriptTo = wantsTranscript ? email : null;
    emailAction = "end";
    // timeZone is not in docs/CHAT.md yet, but the server reads it to write the transcript's times in the visitor's zone.
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    if (!frame({ type: "end", transcriptTo, timeZone })) return void (c.error.textContent = t("widget.reconnecting"));
    c.error.textContent = "";
    c.ok.setAttribute("aria-disabled", "true"); // until `ended` or invalid_email; not `disabled`, which would drop the focus
  }
  function setEnded(isEnded, transcriptSentTo) {
    const hadFocus = isOpen && ui.panel.contains(ui.panel.getRootNode().activeElement); // before hiding what has it
    ended = isEnded;
    ui.confirm.el.hidden = true;
    ui.composer.el.hidden = isEnded;
    ui.endedBox.hidden = !isEnded;
    ui.endBtn.hidden = isEnded || messages.length === 0;
    ui.endedText.textContent = t("widget.ended") + (transcriptSentTo ? " " + t("widget.transcript_sent", transcriptSentTo) : "");
    if (isEnded) { stopTyping(); hideAgentTyping(); }
    if (hadFocus) focusInPanel();
  }
  // "Start a new chat" only clears the screen; the server starts a new conversation with the next message.
  function newChat() {
    for (const m of messages.splice(0)) { m.el.remove(); for (const u of Object.values(m.urls || {})) u.then(URL.revokeObjectURL, () => {}); }
    freshChat = true;
    setEnded(false);
    notice("");
    ui.composer.input.focus();
  }

  // --- the connection --------------------------------------------------------------------
  function ensureToken() {
    const token = store.get("token");
    if (token) return Promise.resolve(token);
    if (!visitorPromise) {
      visitorPromise = (async () => {
        const res = await fetch(API + "/visitors", { method: "POST" });
        const body = res.ok ? await res.json().catch(() => null) : null;
        if (!body || typeof body.token !== "string") {
          const err = new Error("visitor " + res.status);
          err.retryAfter = Number(res.headers.get("Retry-After")) || 0; // readable only if CORS exposes it
          throw err;
        }
        store.set("token", body.token);
        return body.token;
      })().finally(() => { visitorPromise = null; });
    }
    return visitorPromise;
  }
  async function connect() {
    if (ws) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    const sock = ws = { readyState: 0 }; // placeholder so nobody opens a second socket while the visitor is created
    let token;
    try { token = await ensureToken(); } catch (e) {
      if (ws === sock) { ws = null; scheduleReconnect(e.retryAfter); }
      return;
    }
    if (ws !== sock) return;
    let real;
    try { real = new WebSocket(SOCKET_URL); } catch { ws = null; return scheduleReconnect(); }
    ws = real;
    real.onopen = () => real.send(JSON.stringify({ type: "hello", token, after: lastShownId }));
    real.onmessage = (e) => { if (ws === real) onFrame(e.data); };
    real.onclose = () => { if (ws === real) dropped(); };
    // A socket that neither opens nor fails (a black-holed network) would otherwise hang for minutes.
    clearTimeout(helloTimer);
    helloTimer = setTimeout(() => { if (ws === real && !connected) dropped(); }, 10000);
  }
  function dropped() {
    const sock = ws;
    ws = null;
    if (sock && sock.close) { sock.onclose = sock.onmessage = null; try { sock.close(); } catch { /* already closed */ } }
    connected = false;
    clearInterval(pingTimer);
    clearTimeout(helloTimer);
    typingActive = false;
    if (ui) notice(t("widget.reconnecting"));
    scheduleReconnect();
  }
  function scheduleReconnect(minSeconds = 0) {
    if (reconnectTimer || ws) return;
    const base = Math.min(15000, 500 * 2 ** attempt++);
    const delay = Math.max(base * (0.8 + Math.random() * 0.4), minSeconds * 1000); // jitter: tabs do not return in lockstep
    reconnectTimer = setTimeout(() => { reconnectTimer = 0; connect(); }, delay);
  }
  // Page visible again / network back / panel opened: no reason to wait for the backoff.
  function reconnectNow(evenWithoutVisitor) {
    if (ws) return;
    if (!evenWithoutVisitor && !store.get("token")) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    connect();
  }
  function startPing() {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (Date.now() - lastFrameAt > 60000) return dropped(); // pongs stopped: the connection is dead even if not closed
      frame({ type: "ping" });
    }, 25000);
  }

  function onFrame(data) {
    let f;
    try { f = JSON.parse(data); } catch { return; }
    if (!f || typeof f !== "object") return;
    lastFrameAt = Date.now();
    switch (f.type) {
      case "welcome": return onWelcome(f);
      case "ack": return f.message && upsert({ ...f.message, clientId: f.message.clientId || f.clientId });
      case "message": return upsert(f.message);
      case "typing": return showAgentTyping(f);
      case "read": return setReadUpTo(f.upTo);
      case "identified": return onIdentified(f);
      case "ended": return setEnded(true, f.transcript ? transcriptTo : null);
      case "error": return onError(f);
    }
  }
  function onWelcome(f) {
    connected = true;
    attempt = 0;
    clearTimeout(helloTimer);
    notice("");
    startPing();
    online = f.online !== false;
    backAt = f.backAt || null;
    if (f.visitor) { visitor = { name: f.visitor.name ?? null, email: f.visitor.email ?? null }; fillVisitor(); }
    renderOffline();
    for (const m of Array.isArray(f.messages) ? f.messages : []) upsert(m, true);
    firstWelcome = false;
    setReadUpTo(f.readUpTo);
    if (f.ended && !freshChat && !ended) setEnded(true);
    if (!f.ended) freshChat = false;
    resendPending();
    sendRead();
  }
  function onError(f) {
    switch (f.code) {
      case "unknown_visitor": return forgetVisitor();
      case "hello_first": return dropped();
      case "rate_limited":
        if (f.clientId) hold(f.clientId, f.retryAfter);
        return notice(t("widget.rate_limited"));
      case "server_error":
        if (f.clientId) return hold(f.clientId, 3);
        return notice(t("widget.error"));
      case "invalid_email":
        if (emailAction === "end") { ui.confirm.error.textContent = t("widget.invalid_email"); ui.confirm.ok.removeAttribute("aria-disabled"); }
        else ui.details.result.textContent = t("widget.invalid_email");
        return;
      default: // invalid_message, frame_too_large, bad_frame: sending it again would fail the same way
        if (f.clientId) markFailed(f.clientId);
        notice(t("widget.error"));
    }
  }
  // The token is no longer known (e.g. the visitor was deleted): start over as a new visitor, keeping what
  // they were about to send.
  function forgetVisitor() {
    store.remove("token");
    store.remove("last");
    for (const m of messages.filter((x) => x.id)) { m.el.remove(); messages.splice(messages.indexOf(m), 1); }
    lastShownId = 0;
    readUpTo = lastReadSent = 0;
    const sock = ws;
    ws = null;
    if (sock) { sock.onclose = sock.onmessage = null; sock.close(); }
    connected = false;
    clearInterval(pingTimer);
    scheduleReconnect();
  }

  // --- start --------------------------------------------------------------------------------
  async function loadConfig() {
    const pageLang = (script.dataset.lang || document.documentElement.lang || "").slice(0, 2).toLowerCase();
    for (let tries = 0; ; tries++) {
      try {
        const res = await fetch(API + (pageLang ? "?lang=" + encodeURIComponent(pageLang) : ""));
        if (res.ok) return await res.json();
        if (res.status < 500) return null; // unknown widget or origin not allowed: better no button than a broken one
      } catch { /* network: try again below */ }
      await new Promise((r) => setTimeout(r, Math.min(60000, 2000 * 2 ** tries)));
    }
  }
  async function start() {
    config = await loadConfig();
    if (!config || typeof config !== "object") return;
    config.text = config.text && typeof config.text === "object" ? config.text : {};
    online = config.online !== false;
    backAt = config.backAt || null;
    ui = buildUI();
    renderBadge();
    renderOffline();
    for (const p of readPending()) addLocal({ clientId: p.clientId, text: p.text }); // unsent before a reload
    // A returning visitor connects at once (history, unread replies); a new one only when they open the chat.
    if (store.get("token") || readPending().length) connect();
    if (wantOpen) open();
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || !ui) return;
    reconnectNow(false);
    sendRead();
  });
  window.addEventListener("online", () => { if (ui) reconnectNow(false); });

  // A small hook for tests (and for sites that want their own "chat with us" link).
  window.CareDeskWidget = {
    open,
    close,
    state: () => ({
      connected,
      pending: readPending().length,
      messages: messages.map((m) => ({ id: m.id ?? null, clientId: m.clientId ?? null, from: m.from, text: m.text })),
    }),
  };

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
