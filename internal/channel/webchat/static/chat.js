/* Vigil chat: the customer's side. No framework, no build step.
   Messages carry a per-conversation sequence number; after any reconnect
   the client asks for everything after the last one it has, so nothing is
   lost or shown twice. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var S = JSON.parse(root.getAttribute("data-strings"));
  var CATS = JSON.parse(root.getAttribute("data-categories"));
  var lang = root.getAttribute("data-lang");
  var embedded = window.parent !== window;
  var store = safeStorage();

  var session = null;        // {token, customer, verified}
  var conv = null;           // the open conversation
  var lastSeq = 0;           // highest seq shown
  var ws = null, wsOpen = false, backoff = 500, reconnectTimer = null;
  var outbox = [];           // sends waiting for a connection: {client_id, body}
  var queueTimer = null, typingTimer = null, lastTypingSent = 0;
  var lastMineSeq = 0, agentReadSeq = 0;
  var securityCase = null;   // the customer's open security conversation, if any

  function safeStorage() {
    try { localStorage.setItem("vigil.t", "1"); localStorage.removeItem("vigil.t"); return localStorage; }
    catch (e) { var m = {}; return { getItem: function (k) { return m[k] || null; }, setItem: function (k, v) { m[k] = v; }, removeItem: function (k) { delete m[k]; } }; }
  }
  function fmt(s, v) { return s.replace("%d", v).replace("%s", v); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === "class") e.className = attrs[k]; else e.setAttribute(k, attrs[k]); }
    if (text != null) e.textContent = text;
    return e;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function api(method, path, body) {
    var headers = { "Accept-Language": lang };
    if (session) headers["Authorization"] = "Bearer " + session.token;
    var opts = { method: method, headers: headers };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : null;
        if (!r.ok) { var err = new Error((data && data.error && data.error.message) || S.error); err.status = r.status; err.code = data && data.error && data.error.code; throw err; }
        return data;
      });
    });
  }

  // ---- layout
  var header = el("header");
  var title = el("h1", null, S.title);
  var backBtn = el("button", { type: "button", hidden: "" }, S.back);
  header.appendChild(title); header.appendChild(backBtn);
  if (embedded) {
    var closeBtn = el("button", { type: "button", "aria-label": "×" }, "×");
    closeBtn.addEventListener("click", function () { window.parent.postMessage({ type: "vigil:close" }, "*"); });
    header.appendChild(closeBtn);
  }
  var status = el("div", { class: "status", role: "status" });
  var pane = el("div", { class: "pane" });
  var typing = el("div", { class: "typing", "aria-live": "polite" });
  root.textContent = "";
  // Freeze: always in view for a customer the exchange signed in, on the
  // home screen and inside a conversation; it needs no agent.
  var freezeBar = el("section", { class: "freeze", id: "freeze", hidden: "" });
  root.appendChild(header); root.appendChild(status); root.appendChild(freezeBar); root.appendChild(pane); root.appendChild(typing);
  backBtn.addEventListener("click", function () { leave(); showHome(); });

  function setStatus(text, offline) { status.textContent = text || ""; status.className = "status" + (offline ? " offline" : ""); }

  // ---- session
  function identify() {
    return new Promise(function (resolve) {
      if (!embedded) { resolve(new URLSearchParams(location.hash.slice(1)).get("identity") || ""); return; }
      var done = false;
      window.addEventListener("message", function (e) {
        if (e.source !== window.parent || !e.data || e.data.type !== "vigil:identity" || done) return;
        done = true; resolve(e.data.token || "");
      });
      window.parent.postMessage({ type: "vigil:ready" }, "*");
      setTimeout(function () { if (!done) { done = true; resolve(""); } }, 1500);
    });
  }

  function start() {
    setStatus(S.connecting);
    identify().then(function (identity) {
      var saved = store.getItem("vigil.session");
      if (saved && !identity) {
        try { session = JSON.parse(saved); } catch (e) { session = null; }
        if (session && new Date(session.expires_at) > new Date()) return session;
      }
      var visitor = store.getItem("vigil.visitor");
      if (!visitor) { visitor = uuid(); store.setItem("vigil.visitor", visitor); }
      session = null;
      var body = identity ? { identity_token: identity, language: lang } : { visitor_id: visitor, language: lang };
      return api("POST", "/widget/api/session", body).then(function (s) {
        session = s;
        if (!identity) store.setItem("vigil.session", JSON.stringify(s)); else store.removeItem("vigil.session");
        return s;
      });
    }).then(function () {
      setStatus(session.verified ? S.verified : "");
      if (session.verified) { buildFreeze(); refreshNotices(); }
      showHome();
    }).catch(function (err) { setStatus(err.message, true); });
  }

  // refreshNotices replaces the page's banners with those for the signed-in
  // customer: only the incidents that concern what they use.
  function refreshNotices() {
    var context = new URLSearchParams(location.search).get("context") || "";
    api("GET", "/widget/api/notices?context=" + encodeURIComponent(context)).then(function (res) {
      Array.prototype.forEach.call(document.querySelectorAll(".announcement"), function (n) { n.remove(); });
      res.notices.forEach(function (n) {
        var div = el("div", { class: "announcement", role: "status" });
        div.appendChild(el("strong", null, n.title));
        div.appendChild(document.createTextNode(" " + n.body));
        if (n.window) {
          div.appendChild(document.createTextNode(" "));
          div.appendChild(el("time", { class: "window", datetime: n.starts_at, "data-end": n.ends_at }, n.window));
        }
        document.body.insertBefore(div, root);
      });
      localTimes();
    }).catch(function () { /* keep the page's banners */ });
  }

  // localTimes adds the reader's own clock to each banner's window, which
  // the page gives in UTC and in the zone it was planned in.
  function localTimes() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var f = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", { year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    Array.prototype.forEach.call(document.querySelectorAll("time.window"), function (t) {
      var s = new Date(t.getAttribute("datetime")), e = new Date(t.getAttribute("data-end"));
      if (isNaN(s) || isNaN(e) || t.nextSibling && t.nextSibling.className === "local") return;
      var local = el("span", { class: "local" }, " · " + S.local_time + ": " + f.format(s) + " – " + f.format(e));
      t.parentNode.insertBefore(local, t.nextSibling);
    });
  }
  localTimes();

  function buildFreeze() {
    freezeBar.textContent = ""; freezeBar.hidden = false;
    var open = el("button", { type: "button", class: "danger", id: "freeze-open" }, S.freeze);
    var hint = el("p", { class: "hint" }, S.freeze_hint);
    var form = el("form", { id: "freeze-form", hidden: "" });
    form.appendChild(el("label", { for: "freeze-reason" }, S.freeze_reason));
    var sel = el("select", { id: "freeze-reason" });
    ["not_me", "withdrawal", "other"].forEach(function (r) { sel.appendChild(el("option", { value: r }, S["freeze_reason." + r])); });
    form.appendChild(sel);
    var go = el("button", { type: "submit", class: "danger", id: "freeze-confirm" }, S.freeze_confirm);
    var cancel = el("button", { type: "button" }, S.freeze_cancel);
    form.appendChild(go); form.appendChild(cancel);
    var out = el("p", { id: "freeze-status", role: "status" });
    freezeBar.appendChild(open); freezeBar.appendChild(hint); freezeBar.appendChild(form); freezeBar.appendChild(out);
    open.addEventListener("click", function () { form.hidden = false; open.hidden = true; sel.focus(); });
    cancel.addEventListener("click", function () { form.hidden = true; open.hidden = false; });
    form.addEventListener("submit", function (e) {
      e.preventDefault(); go.disabled = true; out.textContent = "";
      api("POST", "/widget/api/freeze", { reason: sel.value, language: lang }).then(function (r) {
        form.hidden = true;
        freezeBar.insertBefore(el("h2", { class: "frozen" }, S.freeze_done), hint);
        hint.remove();
        out.textContent = r.next_steps;
        leave(); openConversation(r.conversation);
      }).catch(function (x) { out.textContent = x.message; go.disabled = false; });
    });
  }

  // ---- home: history and pre-chat form
  function showHome() {
    backBtn.hidden = true; conv = null; pane.textContent = "";
    var composer = root.querySelector("form.composer"); if (composer) composer.remove();
    var complaint = root.querySelector("section.complaint"); if (complaint) complaint.remove();
    api("GET", "/widget/api/conversations").then(function (page) {
      var open = (page.data || []).filter(function (c) { return c.status !== "closed"; });
      securityCase = open.filter(function (c) { return c.category === "account_security" || c.category === "2fa"; })[0] || null;
      if (!page.data || !page.data.length) return;
      pane.insertBefore(el("h2", { class: "hint" }, S.history), pane.firstChild);
      var ul = el("ul", { class: "history" });
      page.data.forEach(function (c) {
        var b = el("button", { type: "button" }, "#" + c.id + " · " + (c.subject || "") + " · " + c.status);
        b.addEventListener("click", function () { openConversation(c); });
        var li = el("li"); li.appendChild(b); ul.appendChild(li);
      });
      pane.insertBefore(ul, pane.children[1] || null);
      // A follow-up email links here with ?conversation=N: open that one.
      var wanted = Number(new URLSearchParams(location.search).get("conversation"));
      var linked = page.data.filter(function (c) { return c.id === wanted; })[0];
      if (linked && !pane.dataset.visited) { pane.dataset.visited = "1"; openConversation(linked); return; }
      if (open.length === 1 && !pane.dataset.visited) openConversation(open[0]);
    }).catch(function () {});
    var form = el("form", { class: "prechat" });
    form.appendChild(el("p", { class: "never-ask" }, S.never_ask));
    form.appendChild(el("label", { for: "v-lang" }, S.language));
    var ls = el("select", { id: "v-lang" });
    [["en", "English"], ["zh", "简体中文"]].forEach(function (o) { var op = el("option", { value: o[0] }, o[1]); if (o[0] === lang) op.selected = true; ls.appendChild(op); });
    form.appendChild(ls);
    form.appendChild(el("label", { for: "v-topic" }, S.topic));
    var ts = el("select", { id: "v-topic" });
    CATS.order.forEach(function (c) { ts.appendChild(el("option", { value: c }, CATS.names[c])); });
    form.appendChild(ts);
    form.appendChild(el("label", { for: "v-email" }, S.email));
    var em = el("input", { id: "v-email", type: "email", autocomplete: "email" });
    form.appendChild(em); form.appendChild(el("p", { class: "hint" }, S.email_hint));
    form.appendChild(el("label", { for: "v-first" }, S.first_message));
    var first = el("textarea", { id: "v-first", required: "", maxlength: "8000" });
    form.appendChild(first);
    var go = el("button", { type: "submit", class: "primary" }, S.start);
    form.appendChild(go);
    var err = el("p", { class: "error", role: "alert" }); form.appendChild(err);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!first.value.trim()) { first.focus(); return; }
      go.disabled = true; err.textContent = "";
      if (ls.value !== lang) { lang = ls.value; }
      api("POST", "/widget/api/conversations", { category: ts.value, language: ls.value, email: em.value.trim(), body: first.value, client_id: uuid() })
        .then(function (r) { pane.dataset.visited = "1"; openConversation(r.conversation); })
        .catch(function (x) { err.textContent = x.message; go.disabled = false; });
    });
    pane.appendChild(form);
    pane.appendChild(callbackForm());
    first.focus();
  }

  // ---- phone callback: for customers the policy entitles; others get
  // the desk's refusal, in words, in place of the form.
  function callbackForm() {
    var box = el("details", { class: "callback", id: "callback" });
    box.appendChild(el("summary", null, S.callback));
    box.appendChild(el("p", { class: "hint" }, S.callback_hint));
    var form = el("form", { id: "callback-form" });
    function local(d) { var z = new Date(d.getTime() - d.getTimezoneOffset() * 60000); return z.toISOString().slice(0, 16); }
    var soon = new Date(Date.now() + 3600000);
    var from = el("input", { id: "cb-from", type: "datetime-local", required: "", value: local(soon) });
    var to = el("input", { id: "cb-to", type: "datetime-local", required: "", value: local(new Date(soon.getTime() + 2 * 3600000)) });
    var phone = el("input", { id: "cb-phone", type: "tel", autocomplete: "tel", placeholder: "+8613800138000", maxlength: "20" });
    var note = el("textarea", { id: "cb-note", maxlength: "1000", rows: "2" });
    [["cb-from", S.callback_from, from], ["cb-to", S.callback_to, to], ["cb-phone", S.callback_phone, phone], ["cb-note", S.callback_note, note]]
      .forEach(function (f) { form.appendChild(el("label", { for: f[0] }, f[1])); form.appendChild(f[2]); });
    var go = el("button", { type: "submit" }, S.callback_send);
    var out = el("p", { id: "callback-status", role: "status" });
    form.appendChild(go); form.appendChild(out);
    form.addEventListener("submit", function (e) {
      e.preventDefault(); go.disabled = true; out.textContent = "";
      var body = { window_start: new Date(from.value).toISOString(), window_end: new Date(to.value).toISOString(), language: lang,
        phone: phone.value.trim(), note: note.value };
      // An open security case may be what entitles the customer.
      if (securityCase) body.conversation_id = securityCase.id;
      api("POST", "/widget/api/callbacks", body).then(function (r) {
        form.hidden = true; out.textContent = S.callback_done; box.appendChild(out);
        setTimeout(function () { openConversation(r.conversation); }, 1500);
      }).catch(function (x) { out.textContent = x.message; go.disabled = false; });
    });
    box.appendChild(form);
    return box;
  }

  // ---- conversation
  var list = null;
  function openConversation(c) {
    pane.dataset.visited = "1";
    conv = c; lastSeq = 0; lastMineSeq = 0; agentReadSeq = 0;
    backBtn.hidden = false; pane.textContent = "";
    list = el("ol", { class: "msgs", "aria-label": S.title, "aria-live": "polite" });
    pane.appendChild(list);
    buildComposer();
    api("GET", "/widget/api/conversations/" + c.id + "/messages?after_seq=0").then(function (r) {
      conv = r.conversation; agentReadSeq = r.agent_read_seq || 0;
      r.data.forEach(show);
      markRead();
      connect();
      pollQueue();
    }).catch(function (x) { setStatus(x.message, true); });
  }

  function leave() {
    if (ws) { var w = ws; ws = null; w.onclose = null; w.close(); }
    wsOpen = false; clearTimeout(reconnectTimer); clearTimeout(queueTimer);
  }

  function show(m) {
    if (m.seq <= lastSeq) return;            // already shown: never twice
    lastSeq = m.seq;
    var mine = m.author_kind === "customer";
    if (mine) lastMineSeq = m.seq;
    var pending = list.querySelector('[data-seq="' + m.seq + '"]');
    var li = el("li", { class: "msg" + (mine ? " mine" : "") + (m.author_kind === "system" ? " system" : ""), "data-seq": m.seq });
    if (!mine && m.author_kind !== "system") {
      var who = m.author_kind === "bot" ? S.bot : (m.author_name || S.agent);
      var w = el("span", { class: "who" });
      // An initials avatar: no image request, nothing to spoof.
      w.appendChild(el("span", { class: "avatar" + (m.author_kind === "bot" ? " bot" : ""), "aria-hidden": "true" },
        m.author_kind === "bot" ? "🤖" : Array.from(who.trim())[0] || "?"));
      w.appendChild(document.createTextNode(who));
      // Every agent message carries the agent's public staff ID, which the
      // customer can check on the verifier page.
      if (m.author_kind === "agent" && m.author_id) {
        var sid = "VS-" + ("000" + m.author_id).slice(-Math.max(4, String(m.author_id).length));
        var a = el("a", { class: "staff-id", href: "/verify?q=" + encodeURIComponent(sid) + "&lang=" + lang, target: "_blank", rel: "noopener", title: fmt(S.staff_id, sid) }, sid);
        w.appendChild(a);
      }
      li.appendChild(w);
    }
    var body = el("div");
    body.innerHTML = m.body_html;            // sanitised on the server
    li.appendChild(body);
    // A rating request becomes a card: five buttons open the rating page
    // with the score chosen, where the customer may add a comment.
    var rate = m.author_kind === "system" && body.querySelector('a[href*="/csat/"]');
    if (rate) {
      var card = el("div", { class: "rating-card", role: "group", "aria-label": S.rate });
      [1, 2, 3, 4, 5].forEach(function (n) {
        card.appendChild(el("a", { href: rate.href + "?rating=" + n, target: "_blank", rel: "noopener noreferrer",
          class: "rating", "aria-label": S.rate_n.replace("%d", n) }, String(n) + " ★"));
      });
      li.appendChild(card);
    }
    (m.attachments || []).forEach(function (a) {
      var id = typeof a === "object" ? a.id : a;
      var link = el("a", { href: "#", "data-att": id }, (a.filename || "📎 " + id));
      link.addEventListener("click", function (e) { e.preventDefault(); download(id, a.filename || "file"); });
      li.appendChild(link);
    });
    // Keep seq order: a message the customer wrote offline may have been
    // given a later seq than replies that arrive on reconnect. Unsent
    // messages (no seq yet) stay at the bottom.
    if (pending) pending.remove();
    var before = null;
    Array.prototype.some.call(list.children, function (n) {
      var s = Number(n.getAttribute("data-seq") || 0);
      if (!s || s > m.seq) { before = n; return true; }
      return false;
    });
    list.insertBefore(li, before);
    if (mine) updateRead();
    pane.scrollTop = pane.scrollHeight;
    if (m.author_kind === "agent") { typing.textContent = ""; clearTimeout(queueTimer); setStatus(""); }
  }

  function download(id, name) {
    fetch("/widget/api/attachments/" + id, { headers: { Authorization: "Bearer " + session.token } })
      .then(function (r) { return r.blob(); })
      .then(function (b) { var a = el("a", { href: URL.createObjectURL(b), download: name }); document.body.appendChild(a); a.click(); a.remove(); });
  }

  function updateRead() {
    list.querySelectorAll(".meta").forEach(function (n) { n.remove(); });
    if (agentReadSeq >= lastMineSeq && lastMineSeq > 0) {
      var li = list.querySelector('[data-seq="' + lastMineSeq + '"]');
      if (li) li.appendChild(el("span", { class: "meta" }, S.read));
    }
  }

  function markRead() {
    if (!wsOpen || !conv || document.hidden) return;
    ws.send(JSON.stringify({ type: "read", conversation_id: conv.id, seq: lastSeq }));
  }
  document.addEventListener("visibilitychange", markRead);

  // "Make this a complaint": the customer turns their own conversation
  // into a formal complaint; the desk answers when it will respond.
  function buildComplaint() {
    var old = root.querySelector("section.complaint"); if (old) old.remove();
    var box = el("section", { class: "complaint" });
    var open = el("button", { type: "button", id: "complaint-open" }, S["complaint.action"]);
    var form = el("form", { id: "complaint-form", hidden: "" });
    form.appendChild(el("label", { for: "complaint-summary" }, S["complaint.confirm"]));
    var ta = el("textarea", { id: "complaint-summary", maxlength: "2000", rows: "3" });
    var go = el("button", { type: "submit", id: "complaint-confirm" }, S["complaint.action"]);
    var out = el("p", { id: "complaint-status", role: "status" });
    form.appendChild(ta); form.appendChild(go);
    box.appendChild(open); box.appendChild(form); box.appendChild(out);
    root.appendChild(box);
    open.addEventListener("click", function () { form.hidden = false; open.hidden = true; ta.focus(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault(); go.disabled = true;
      api("POST", "/widget/api/conversations/" + conv.id + "/complaint", { summary: ta.value.trim() }).then(function (r) {
        form.hidden = true; out.textContent = r.notice;
      }).catch(function (x) { out.textContent = x.message; go.disabled = false; });
    });
  }

  function buildComposer() {
    var old = root.querySelector("form.composer"); if (old) old.remove();
    var oldComplaint = root.querySelector("section.complaint"); if (oldComplaint) oldComplaint.remove();
    if (conv.status === "closed") { pane.appendChild(el("p", { class: "hint" }, S.closed)); return; }
    var form = el("form", { class: "composer" });
    var ta = el("textarea", { "aria-label": S.placeholder, placeholder: S.placeholder, maxlength: "8000" });
    var file = el("input", { type: "file", id: "v-file", accept: "image/*,application/pdf,text/plain" });
    var attach = el("label", { class: "attach", for: "v-file", title: S.attach, tabindex: "0" }, "📎");
    var send = el("button", { type: "submit" }, S.send);
    form.appendChild(attach); form.appendChild(file); form.appendChild(ta); form.appendChild(send);
    root.appendChild(form);
    buildComplaint();
    ta.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    attach.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); file.click(); } });
    ta.addEventListener("input", function () {
      var now = Date.now();
      if (wsOpen && now - lastTypingSent > 3000) { lastTypingSent = now; ws.send(JSON.stringify({ type: "typing", conversation_id: conv.id })); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = ta.value.trim();
      if (!text) return;
      ta.value = "";
      queueSend(text);
    });
    file.addEventListener("change", function () {
      var f = file.files[0]; if (!f) return;
      var fd = new FormData(); fd.append("file", f);
      api("POST", "/widget/api/conversations/" + conv.id + "/attachments", fd)
        .then(function (att) { return api("POST", "/widget/api/conversations/" + conv.id + "/messages", { body: att.filename, attachments: [att.id], client_id: uuid() }); })
        .catch(function (x) { setStatus(x.message, true); });
      file.value = "";
    });
    ta.focus();
  }

  // queueSend shows the message at once and sends it when connected; the
  // client id makes a resend after a reconnect harmless.
  function queueSend(text) {
    var id = uuid();
    var li = el("li", { class: "msg mine pending", "data-client": id });
    li.appendChild(el("div", null, text));
    list.appendChild(li); pane.scrollTop = pane.scrollHeight;
    outbox.push({ client_id: id, body: text });
    flush();
  }
  function flush() {
    if (!wsOpen) return;
    outbox.forEach(function (m) { ws.send(JSON.stringify({ type: "send", conversation_id: conv.id, body: m.body, client_id: m.client_id })); });
  }

  function connect() {
    if (!conv || !session) return;
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var sock = new WebSocket(proto + location.host + "/ws/widget?token=" + encodeURIComponent(session.token));
    ws = sock;
    sock.onopen = function () {
      wsOpen = true; backoff = 500; setStatus(S.connected);
      sock.send(JSON.stringify({ type: "subscribe", conversation_id: conv.id, after_seq: lastSeq }));
      flush();
    };
    sock.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f.type === "message" && f.message.conversation_id === conv.id) { show(f.message); markRead(); }
      else if (f.type === "ack") {
        outbox = outbox.filter(function (m) { return m.client_id !== f.client_id; });
        var p = list.querySelector('[data-client="' + f.client_id + '"]');
        if (p) { if (f.seq <= lastSeq) p.remove(); else p.setAttribute("data-seq", f.seq); }
      }
      else if (f.type === "typing" && f.conversation_id === conv.id) {
        typing.textContent = fmt(S.typing, f.name || S.agent);
        clearTimeout(typingTimer); typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
      }
      else if (f.type === "read" && f.reader === "agent") { agentReadSeq = Math.max(agentReadSeq, f.seq); updateRead(); }
      else if (f.type === "conversation" && f.conversation_id === conv.id && f.changes && f.changes.status === "closed") { conv.status = "closed"; buildComposer(); }
      else if (f.type === "error" && f.code === "send_failed") { setStatus(f.message, true); }
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      wsOpen = false; setStatus(S.reconnecting, true);
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }
  window.addEventListener("online", function () { if (!wsOpen && conv) { clearTimeout(reconnectTimer); connect(); } });

  function pollQueue() {
    clearTimeout(queueTimer);
    if (!conv) return;
    api("GET", "/widget/api/conversations/" + conv.id + "/queue").then(function (q) {
      if (q.position > 0 && q.online_agents === 0) setStatus(S.no_agents, true);
      else if (q.position > 0) {
        var t = fmt(S.queue_position, q.position);
        if (q.estimated_wait_seconds != null) t += " " + fmt(S.wait_estimate, Math.max(1, Math.round(q.estimated_wait_seconds / 60)));
        setStatus(t);
      }
      if (q.position > 0) queueTimer = setTimeout(pollQueue, 15000);
    }).catch(function () { queueTimer = setTimeout(pollQueue, 30000); });
  }

  start();
})();
