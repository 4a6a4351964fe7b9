/*
 * Trợ lý thủ tục hành chính — the chat widget a city embeds with one tag:
 *
 *   <script src="https://bot.example.gov.vn/widget.js" data-city="UBND phường Hải Châu"
 *           data-color="#b3261e" data-logo="https://.../logo.png" defer></script>
 *
 * Everything it needs comes from the server that served this file (derived from the
 * script's src), so it works on any site. Styles live in a Shadow DOM and never touch
 * the host page. The conversation (sender id, history, pending messages, last staff
 * message seen) is kept in localStorage, so it survives reloads; messages typed while
 * offline are kept and sent when the connection returns; staff replies are fetched
 * every few seconds. Message text is only ever inserted as text (no HTML).
 */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__tthcWidget) return;
  window.__tthcWidget = true;
  const base = (script.dataset.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  const KEY = "tthc-widget:" + base;
  const POLL_OPEN_MS = 5000, POLL_HIDDEN_MS = 30000, MAX_BACKOFF_MS = 30000;

  const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; } };
  // the conversation id is issued by the server (POST /api/session): a browser cannot choose one
  const state = Object.assign({ sender: null, history: [], pending: [], lastId: 0, consent: false, open: false }, load() || {});
  const save = () => {
    try { localStorage.setItem(KEY, JSON.stringify({ ...state, history: state.history.slice(-200) })); } catch (e) { /* private mode: keep in memory */ }
  };

  const css = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px; border-radius: 50%;
      border: 0; background: var(--brand); color: #fff; cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.25); font-size: 26px; }
    .launcher:focus-visible, button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
    .panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483000; width: 380px; height: min(620px, calc(100vh - 120px));
      background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25); display: flex; flex-direction: column; overflow: hidden;
      color: #1f1f1f; font-size: 15px; line-height: 1.45; }
    .panel[hidden] { display: none; }
    header { background: var(--brand); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 10px; }
    header img { width: 34px; height: 34px; border-radius: 50%; background: #fff; object-fit: contain; }
    header .titles { flex: 1; min-width: 0; }
    header h2 { margin: 0; font-size: 16px; font-weight: 600; }
    header p { margin: 0; font-size: 12px; opacity: .9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    header button { background: transparent; border: 0; color: #fff; font-size: 22px; cursor: pointer; width: 36px; height: 36px; border-radius: 8px; }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f7f7f8; }
    .msg { max-width: 86%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .bot { background: #fff; border: 1px solid #e6e6e6; align-self: flex-start; border-bottom-left-radius: 4px; }
    .staff { background: #e6f4ea; align-self: flex-start; border-bottom-left-radius: 4px; }
    .staff .who { display: block; font-size: 12px; color: #137333; font-weight: 600; }
    .user { background: var(--brand); color: #fff; align-self: flex-end; border-bottom-right-radius: 4px; }
    .user a { color: #fff; }
    .state { font-size: 12px; align-self: flex-end; color: #8c1d18; margin-top: -4px; }
    .buttons { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; max-width: 96%; }
    .buttons button { border: 1px solid var(--brand); color: var(--brand); background: #fff; border-radius: 16px; padding: 6px 12px;
      font-size: 14px; cursor: pointer; }
    .typing { align-self: flex-start; color: #666; font-size: 13px; font-style: italic; }
    .notice { background: #fff8e1; border: 1px solid #f0d98c; border-radius: 10px; padding: 10px 12px; font-size: 13px; }
    .notice button { margin-top: 8px; background: var(--brand); color: #fff; border: 0; border-radius: 8px; padding: 7px 14px; font-size: 14px; cursor: pointer; }
    .status { font-size: 12px; color: #8c1d18; padding: 4px 12px; background: #fde7e7; }
    .status[hidden] { display: none; }
    form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e6e6e6; background: #fff; }
    textarea { flex: 1; resize: none; height: 42px; max-height: 120px; padding: 10px 12px; font-size: 15px; border: 1px solid #bbb; border-radius: 20px; }
    textarea:disabled { background: #f1f1f1; }
    .send { background: var(--brand); color: #fff; border: 0; border-radius: 20px; padding: 0 16px; font-size: 15px; cursor: pointer; }
    .send:disabled { opacity: .5; cursor: default; }
    @media (max-width: 480px) {
      .panel { right: 0; bottom: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
      .launcher { right: 14px; bottom: 14px; }
    }`;

  const host = document.createElement("div");
  host.id = "tthc-widget";
  const root = host.attachShadow({ mode: "open" });
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const style = el("style"); style.textContent = css;
  const launcher = el("button", { class: "launcher", type: "button", "aria-label": "Mở trợ lý thủ tục hành chính", "aria-expanded": "false" }, "💬");
  const panel = el("section", { class: "panel", role: "dialog", "aria-label": "Trợ lý thủ tục hành chính" });
  panel.hidden = true;
  const header = el("header");
  const logo = el("img", { alt: "" }); logo.hidden = true;
  const titles = el("div", { class: "titles" });
  const title = el("h2", {}, "Trợ lý thủ tục hành chính");
  const subtitle = el("p", {}, "Hỏi giấy tờ, lệ phí, thời gian, nơi nộp");
  titles.append(title, subtitle);
  const close = el("button", { type: "button", "aria-label": "Đóng cửa sổ trò chuyện" }, "×");
  header.append(logo, titles, close);
  const status = el("div", { class: "status", role: "status" }); status.hidden = true;
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Nội dung trò chuyện" });
  const form = el("form", { autocomplete: "off" });
  const input = el("textarea", { rows: "1", maxlength: "2000", "aria-label": "Câu hỏi của anh/chị", placeholder: "Nhập câu hỏi của anh/chị…" });
  const send = el("button", { class: "send", type: "submit" }, "Gửi");
  form.append(input, send);
  panel.append(header, status, log, form);
  root.append(style, launcher, panel);

  // --- configuration: server defaults, then the tag's data- attributes ---------------
  let privacyUrl = "";
  function applyConfig(cfg) {
    const color = script.dataset.color || cfg.color || "#b3261e";
    host.style.setProperty("--brand", /^#[0-9a-fA-F]{3,8}$|^[a-z]+$/.test(color) ? color : "#b3261e");
    const city = script.dataset.city || cfg.city_name || "";
    if (city) subtitle.textContent = city;
    const logoUrl = script.dataset.logo || cfg.logo_url || "";
    if (/^https?:\/\//.test(logoUrl) || logoUrl.startsWith("/")) { logo.src = logoUrl; logo.hidden = false; }
    privacyUrl = script.dataset.privacy || cfg.privacy_url || "";
    if (notice) renderNotice();
  }
  host.style.setProperty("--brand", "#b3261e");

  // --- rendering ------------------------------------------------------------------------
  function linkified(text) {
    const span = document.createElement("span");
    String(text).split(/(https?:\/\/[^\s<>"')]+)/g).forEach((part) => {
      if (/^https?:\/\//.test(part)) {
        const a = el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part);
        span.appendChild(a);
      } else if (part) span.appendChild(document.createTextNode(part));
    });
    return span;
  }
  function render(item) {
    if (item.text) {
      const div = el("div", { class: "msg " + item.from });
      if (item.from === "staff") div.appendChild(el("span", { class: "who" }, "Cán bộ trả lời"));
      div.appendChild(linkified(item.text));
      log.appendChild(div);
      if (item.from === "user" && item.pending) {
        const mark = el("div", { class: "state", "data-pending": item.key }, "Đang chờ gửi…");
        log.appendChild(mark);
      }
    }
    if (item.buttons && item.buttons.length) {
      const row = el("div", { class: "buttons" });
      item.buttons.forEach((b) => {
        const button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", () => ask(b.payload, b.title));
        row.appendChild(button);
      });
      log.appendChild(row);
    }
  }
  function renderAll() {
    log.textContent = "";
    if (!state.consent) renderNotice(); else notice = null;
    state.history.forEach(render);
    scroll();
  }
  const scroll = () => { log.scrollTop = log.scrollHeight; };
  function add(item) { state.history.push(item); save(); render(item); scroll(); }

  let notice = null;
  function renderNotice() {
    if (notice) notice.remove();
    notice = el("div", { class: "notice" });
    notice.appendChild(document.createTextNode(
      "Trước khi bắt đầu: nội dung trò chuyện được lưu để trả lời và cải thiện dịch vụ, theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân. Anh/chị vui lòng không gửi số căn cước, số điện thoại hay thông tin riêng tư không cần thiết. "));
    if (privacyUrl) notice.appendChild(el("a", { href: privacyUrl, target: "_blank", rel: "noopener" }, "Chính sách bảo vệ dữ liệu"));
    const agree = el("button", { type: "button" }, "Đồng ý và bắt đầu");
    agree.addEventListener("click", () => {
      state.consent = true; save(); notice.remove(); notice = null; updateInput(); input.focus();
    });
    notice.appendChild(el("br"));
    notice.appendChild(agree);
    log.prepend(notice);
  }
  function updateInput() {
    input.disabled = !state.consent;
    send.disabled = !state.consent;
    input.placeholder = state.consent ? "Nhập câu hỏi của anh/chị…" : "Vui lòng đồng ý thông báo ở trên";
  }

  // --- sending: a queue that survives reloads and network loss -------------------------
  let sending = false, backoff = 2000, retryTimer = null, renewals = 0;
  const typing = el("div", { class: "typing" }, "Trợ lý đang trả lời…");
  function ask(message, shown) {
    if (!state.consent || !message.trim()) return;
    const key = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    add({ from: "user", text: shown || message, pending: true, key });
    state.pending.push({ key, message });
    save();
    flush();
  }
  function showStatus(text) { status.textContent = text; status.hidden = !text; }
  async function flush() {
    if (sending || !state.pending.length) return;
    sending = true;
    const next = state.pending[0];
    log.appendChild(typing); scroll();
    let replies = null, busy = false, expired = false;
    try {
      if (!state.sender) await newSession();
      const res = await fetch(base + "/api/chat", {
        method: "POST", headers: { "content-type": "application/json" },
        // message_id: a message sent again after a lost answer is answered, not handled twice
        body: JSON.stringify({ sender: state.sender, message: next.message, message_id: next.key,
                               metadata: { page: location.href.slice(0, 300) } }),
      });
      if (res.ok) replies = await res.json();
      else if (res.status === 403) expired = true;  // an id this server did not issue (an old one): get a new one
      else if (res.status >= 400 && res.status < 500 && res.status !== 429) replies = await res.json().catch(() => []);
      else busy = true;
    } catch (e) { /* offline or server unreachable: keep it */ }
    typing.remove();
    sending = false;
    if (expired) {
      state.sender = null; state.lastId = 0; save();
      if (renewals++ < 1) { setTimeout(flush, 0); return; }  // once at once; then as when busy
      busy = true;
    }
    if (replies === null) {
      showStatus(busy ? "Hệ thống đang bận. Tin nhắn của anh/chị được giữ lại và sẽ tự gửi lại."
                      : "Mất kết nối. Tin nhắn của anh/chị được giữ lại và sẽ tự gửi khi có mạng.");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      return;
    }
    showStatus("");
    backoff = 2000;
    renewals = 0;
    state.pending.shift();
    const sent = state.history.find((h) => h.key === next.key);
    if (sent) delete sent.pending;
    const mark = log.querySelector(`[data-pending="${next.key}"]`);
    if (mark) mark.remove();
    (Array.isArray(replies) ? replies : [replies]).forEach((r) => {
      if (r && (r.text || r.error)) add({ from: "bot", text: r.text || "Xin lỗi, tin nhắn chưa hợp lệ.", buttons: r.buttons || [] });
    });
    save();
    flush();
  }
  window.addEventListener("online", () => { backoff = 2000; flush(); poll(); });

  // --- staff replies ------------------------------------------------------------------
  let pollTimer = null;
  async function newSession() {
    const res = await fetch(base + "/api/session", { method: "POST" });
    if (!res.ok) throw new Error("no session: " + res.status);
    state.sender = (await res.json()).sender;
    save();
  }
  async function poll() {
    clearTimeout(pollTimer);
    try {
      if (!state.sender) throw new Error("no conversation yet");
      const res = await fetch(`${base}/api/updates?sender=${encodeURIComponent(state.sender)}&after=${state.lastId}`);
      if (res.ok) {
        const data = await res.json();
        (data.messages || []).forEach((m) => {
          if (m.id > state.lastId) {
            add({ from: m.origin === "staff" ? "staff" : "bot", text: m.text, buttons: m.buttons || [] });
            state.lastId = m.id;
          }
        });
        save();
      }
    } catch (e) { /* try again later */ }
    pollTimer = setTimeout(poll, !panel.hidden && document.visibilityState === "visible" ? POLL_OPEN_MS : POLL_HIDDEN_MS);
  }

  // --- open / close, keyboard ----------------------------------------------------------
  function setOpen(open, focus = true) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? "×" : "💬";
    launcher.setAttribute("aria-label", open ? "Đóng trợ lý thủ tục hành chính" : "Mở trợ lý thủ tục hành chính");
    state.open = open; save();
    if (open) { scroll(); if (focus) (state.consent ? input : (notice && notice.querySelector("button")) || input).focus(); poll(); }
    else if (focus) launcher.focus();
  }
  launcher.addEventListener("click", () => setOpen(panel.hidden));
  close.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape") setOpen(false); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text);
  });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") poll(); });

  // --- start ------------------------------------------------------------------------------
  const start = () => {
    document.body.appendChild(host);
    renderAll();
    updateInput();
    setOpen(state.open || script.dataset.open === "true", false);
    poll();
    flush();  // messages left pending by a previous page
    fetch(base + "/widget/config.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({})).then(applyConfig);
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
