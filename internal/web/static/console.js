// Vigil agent console: live updates over /ws/console, replies and field
// changes through the JSON API. Plain JavaScript, no build step.
(function () {
  "use strict";
  var body = document.body;
  var CSRF = body.dataset.csrf;
  var ME = Number(body.dataset.agent || 0);
  var S = JSON.parse(body.dataset.strings || "{}");
  var conv = document.getElementById("conversation");
  var inbox = document.querySelector(".inbox");
  var liveEl = document.getElementById("live");

  function fmt(s, v) { return String(s).replace("%s", v).replace("%d", v); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function uuid() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // api calls the JSON API with the session's CSRF token; errors carry
  // the server's message.
  function api(method, path, data, isForm) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": CSRF, "Accept": "application/json" } };
    if (data !== undefined) {
      if (isForm) opts.body = data;
      else { opts.body = JSON.stringify(data); opts.headers["Content-Type"] = "application/json"; }
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error((j && j.error && j.error.message) || r.statusText);
        return j;
      });
    });
  }

  // Language switch and presence live in the header on every page.
  var lang = document.getElementById("lang");
  if (lang) lang.addEventListener("change", function () {
    lang.form.elements.next.value = location.pathname + location.search;
    lang.form.submit();
  });
  var presence = document.getElementById("presence");
  if (presence) presence.addEventListener("change", function () {
    autoAway = false;
    api("PUT", "/api/v1/me/status", { status: presence.value }).catch(function (e) { alert(fmt(S.error, e.message)); });
  });

  // Idle for 10 minutes while online: away (routing then gives this agent
  // nothing new); back to online at the next touch of the console.
  var IDLE_MS = 10 * 60 * 1000, lastActivity = Date.now(), autoAway = false;
  function setPresence(s) {
    presence.value = s;
    api("PUT", "/api/v1/me/status", { status: s }).catch(function () {});
  }
  function activity() {
    lastActivity = Date.now();
    if (autoAway) { autoAway = false; setPresence("online"); }
  }
  if (presence) {
    ["keydown", "mousedown", "mousemove", "touchstart", "scroll"].forEach(function (ev) {
      document.addEventListener(ev, activity, { passive: true, capture: true });
    });
    setInterval(function () {
      if (presence.value === "online" && Date.now() - lastActivity > IDLE_MS) { autoAway = true; setPresence("away"); }
    }, 30000);
  }

  // ---- WebSocket with reconnect and resume ----
  var ws = null, backoff = 500, lastSeq = 0, readSent = 0;
  if (conv) lastSeq = Number(conv.dataset.lastSeq || 0);

  function setLive(text, bad) { if (liveEl) { liveEl.textContent = text; liveEl.classList.toggle("bad", !!bad); } }

  function connect() {
    setLive(S.connecting);
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console");
    ws.onopen = function () {
      backoff = 500;
      setLive(S.live);
      ws.send(JSON.stringify({ type: "subscribe_inbox" }));
      if (conv) ws.send(JSON.stringify({ type: "subscribe", conversation_id: Number(conv.dataset.id), after_seq: lastSeq }));
      markRead();
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      handle(f);
    };
    ws.onclose = function () {
      setLive(S.offline, true);
      ws = null;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  // An on-call page: a banner that stays until followed or dismissed.
  function showPage(id, text) {
    var b = document.getElementById("page-banner");
    if (!b) {
      b = document.createElement("p");
      b.id = "page-banner"; b.className = "page-banner"; b.setAttribute("role", "alert");
      document.body.insertBefore(b, document.body.firstChild.nextSibling);
    }
    b.textContent = "";
    var a = document.createElement("a");
    a.href = "/console/conversations/" + id;
    a.textContent = fmt(text || S.paged, "#" + id);
    b.appendChild(a);
  }
  function wsSend(f) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(f)); }

  function handle(f) {
    var convID = conv ? Number(conv.dataset.id) : 0;
    switch (f.type) {
      case "message":
        if (f.message.conversation_id === convID) appendMessage(f.message);
        else refreshInbox();
        break;
      case "conversation":
        if (f.conversation_id === convID) applyChanges(f.changes || {});
        refreshInbox();
        break;
      case "typing":
        if (f.conversation_id === convID && f.author_kind === "customer") showTyping();
        break;
      case "read":
        if (f.conversation_id === convID && f.reader === "customer") showRead(f.seq);
        break;
      case "viewers":
        if (f.conversation_id === convID) showViewers(f.agents || []);
        break;
      case "page":
        showPage(f.conversation_id);
        break;
      case "notice":
        showPage(f.conversation_id, S.notified);
        break;
      case "revoked":
        if (f.conversation_id === convID) {
          document.getElementById("revoked").hidden = false;
          document.getElementById("reply").hidden = true;
        }
        break;
    }
  }

  // ---- inbox: re-render the list and badges when anything changes ----
  var refreshTimer = null;
  function refreshInbox() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch("/console/counts", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (c) {
        Object.keys(c).forEach(function (k) {
          var b = document.querySelector('[data-count="' + k + '"]');
          if (b) b.textContent = c[k];
        });
      }).catch(function () {});
      if (!inbox) return;
      var u = new URL(location.href);
      u.searchParams.set("partial", "1");
      fetch(u, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        if (html != null) document.getElementById("inbox-list").innerHTML = html;
      }).catch(function () {});
    }, 300);
  }

  // ---- conversation view ----
  var thread = document.getElementById("thread");
  function appendMessage(m) {
    if (m.seq <= lastSeq && document.getElementById("m" + m.seq)) return;
    if (document.getElementById("m" + m.seq)) return;
    lastSeq = Math.max(lastSeq, m.seq);
    var li = el("li", "msg " + (m.internal ? "note" : "from-" + m.author_kind));
    li.id = "m" + m.seq;
    li.dataset.seq = m.seq;
    var by = el("div", "by");
    by.appendChild(el("strong", null, m.author_name || (m.author_kind === "customer" ? S.customer : m.author_kind)));
    if (m.internal) { by.appendChild(document.createTextNode(" ")); by.appendChild(el("span", "note-badge", S.note_badge)); }
    var t = el("time", null, " " + new Date(m.at).toLocaleString());
    t.setAttribute("datetime", m.at);
    by.appendChild(t);
    li.appendChild(by);
    var b = el("div", "body");
    b.innerHTML = m.body_html; // sanitised by the server before it is stored
    li.appendChild(b);
    if (m.attachments && m.attachments.length) {
      var ul = el("ul", "files");
      m.attachments.forEach(function (id) {
        var a = el("a", null, "attachment " + id);
        a.href = "/api/v1/attachments/" + (id.id || id);
        var x = el("li"); x.appendChild(a); ul.appendChild(x);
      });
      li.appendChild(ul);
    }
    // Keep the thread in seq order even if frames arrive after a resync.
    var after = null;
    Array.prototype.forEach.call(thread.children, function (n) { if (!after && Number(n.dataset.seq) > m.seq) after = n; });
    thread.insertBefore(li, after);
    if (m.author_kind === "customer") { document.getElementById("typing").textContent = ""; markRead(); }
    li.scrollIntoView({ block: "nearest" });
  }

  function markRead() {
    if (!conv || document.hidden || lastSeq <= readSent) return;
    readSent = lastSeq;
    wsSend({ type: "read", conversation_id: Number(conv.dataset.id), seq: lastSeq });
  }
  document.addEventListener("visibilitychange", markRead);

  var typingTimer = null;
  function showTyping() {
    var t = document.getElementById("typing");
    t.textContent = S.typing;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { t.textContent = ""; }, 4000);
  }

  function showRead(seq) {
    var old = thread.querySelector(".seen");
    if (old) old.remove();
    var mine = null;
    Array.prototype.forEach.call(thread.querySelectorAll(".from-agent, .from-bot"), function (n) { if (Number(n.dataset.seq) <= seq) mine = n; });
    if (mine) mine.appendChild(el("p", "seen", S.read));
  }

  function showViewers(agents) {
    var others = agents.filter(function (a) { return a.id !== ME; }).map(function (a) { return a.name; });
    var c = document.getElementById("collision");
    c.hidden = others.length === 0;
    c.textContent = others.length ? fmt(S.also, others.join(", ")) : "";
  }

  function applyChanges(ch) {
    var form = document.getElementById("controls");
    ["status", "priority", "assignee_id", "team_id"].forEach(function (k) {
      if (ch[k] === undefined || !form.elements[k]) return;
      form.elements[k].value = ch[k] === "" ? "0" : ch[k];
      if (k === "status") {
        var badge = document.getElementById("status-badge");
        var opt = form.elements.status.selectedOptions[0];
        badge.textContent = opt ? opt.textContent : ch[k];
        badge.className = "status status-" + ch[k];
      }
    });
    if (ch.tags !== undefined) form.elements.tags.value = ch.tags;
  }

  if (conv) {
    var id = Number(conv.dataset.id);
    var reply = document.getElementById("reply");
    var ta = document.getElementById("reply-body");
    var files = document.getElementById("reply-files");
    var status = document.getElementById("reply-status");
    var mode = function () { return reply.elements.mode.value; };
    Array.prototype.forEach.call(reply.elements.mode, function (r) {
      r.addEventListener("change", function () {
        reply.classList.toggle("is-note", mode() === "note");
        ta.placeholder = mode() === "note" ? S.note_ph : S.reply_ph;
      });
    });
    var lastTyping = 0;
    ta.addEventListener("input", function () {
      // Customers see typing only for replies, never for notes.
      if (mode() === "reply" && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        wsSend({ type: "typing", conversation_id: id });
      }
      canned.update();
    });
    ta.addEventListener("keydown", function (e) {
      if (canned.key(e)) return;
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); reply.requestSubmit(); }
    });
    reply.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = ta.value.trim();
      if (!text && !files.files.length) return;
      var btn = reply.querySelector("button[type=submit]");
      btn.disabled = true;
      status.textContent = "";
      var uploads = Array.prototype.map.call(files.files, function (f) {
        var fd = new FormData(); fd.append("file", f);
        return api("POST", "/api/v1/conversations/" + id + "/attachments", fd, true).then(function (a) { return a.id; });
      });
      Promise.all(uploads).then(function (ids) {
        return api("POST", "/api/v1/conversations/" + id + "/messages",
          { body: text || files.files[0].name, internal: mode() === "note", attachments: ids, external_id: "console:" + uuid() });
      }).then(function (m) {
        ta.value = ""; files.value = "";
        status.textContent = S.sent;
        if (m && m.seq) appendMessage({ id: m.id, seq: m.seq, conversation_id: id, author_kind: m.author_kind, author_name: m.author_name,
          internal: m.internal, body_html: m.body_html, at: m.created_at, attachments: (m.attachments || []).map(function (a) { return a.id; }) });
      }).catch(function (x) {
        status.textContent = fmt(S.error, x.message);
      }).then(function () { btn.disabled = false; ta.focus(); });
    });

    var controls = document.getElementById("controls");
    var cstatus = document.getElementById("controls-status");
    controls.addEventListener("change", function (e) {
      var t = e.target, patch = {};
      if (t.name === "tags") patch.tags = t.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      else if (t.name === "assignee_id" || t.name === "team_id") patch[t.name] = Number(t.value);
      else patch[t.name] = t.value;
      cstatus.textContent = "";
      api("PATCH", "/api/v1/conversations/" + id, patch).then(function (c) {
        cstatus.textContent = S.saved;
        if (c && c.status) applyChanges({ status: c.status });
      }).catch(function (x) { cstatus.textContent = fmt(S.error, x.message); });
    });
    controls.addEventListener("submit", function (e) { e.preventDefault(); });

    // Transfer: a team, an agent or both, with a note for whoever takes it.
    var transfer = document.getElementById("transfer");
    if (transfer) transfer.addEventListener("submit", function (e) {
      e.preventDefault();
      var tstatus = document.getElementById("transfer-status"), body = { note: transfer.elements.note.value };
      if (transfer.elements.team_id.value) body.team_id = Number(transfer.elements.team_id.value);
      if (transfer.elements.assignee_id.value) body.assignee_id = Number(transfer.elements.assignee_id.value);
      if (body.team_id === undefined && body.assignee_id === undefined) { tstatus.textContent = S.transfer_pick; return; }
      api("POST", "/api/v1/conversations/" + id + "/transfer", body).then(function (c) {
        if (!c) { location.href = "/console/inbox"; return; } // no longer ours to see
        transfer.reset();
        tstatus.textContent = S.transferred;
        applyChanges({ team_id: String(c.team_id || 0), assignee_id: String(c.assignee_id || 0) });
      }).catch(function (x) { tstatus.textContent = fmt(S.error, x.message); });
    });
  }

  // ---- canned responses: "/" at the start of a word opens the list ----
  var canned = (function () {
    var list = document.getElementById("canned");
    var loading = null, shown = [], active = -1, gen = 0;
    function load() {
      // One request however fast the agent types.
      if (!loading) {
        loading = api("GET", "/api/v1/canned-responses?lang=" + encodeURIComponent(body.dataset.lang))
          .then(function (r) { return r.data || []; })
          .catch(function () { loading = null; return []; });
      }
      return loading;
    }
    function token() {
      var ta = document.getElementById("reply-body");
      var upto = ta.value.slice(0, ta.selectionStart);
      var m = /(^|\s)\/([\w-]*)$/.exec(upto);
      return m ? { q: m[2].toLowerCase(), start: upto.length - m[2].length - 1 } : null;
    }
    function close() { if (list) { list.hidden = true; list.innerHTML = ""; } shown = []; active = -1; }
    function pick(i) {
      var ta = document.getElementById("reply-body");
      var t = token();
      if (!t || !shown[i]) return close();
      ta.value = ta.value.slice(0, t.start) + shown[i].body + ta.value.slice(ta.selectionStart);
      close();
      ta.focus();
    }
    function render() {
      list.innerHTML = "";
      if (!shown.length) { list.appendChild(el("li", "muted", S.canned_none)); }
      shown.forEach(function (c, i) {
        var li = el("li", i === active ? "active" : null);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.appendChild(el("strong", null, "/" + c.shortcut));
        li.appendChild(document.createTextNode(" " + c.title));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
    }
    return {
      update: function () {
        if (!list) return;
        if (!token()) return close();
        var my = ++gen;
        load().then(function (all) {
          // Only the latest keystroke's list counts, filtered by what the
          // box holds now.
          var t = token();
          if (my !== gen) return;
          if (!t) return close();
          shown = all.filter(function (c) { return c.shortcut.indexOf(t.q) === 0 || c.title.toLowerCase().indexOf(t.q) >= 0; }).slice(0, 8);
          active = shown.length ? 0 : -1;
          render();
        });
      },
      key: function (e) {
        if (!list || list.hidden) return false;
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          if (shown.length) active = (active + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
          render();
          return true;
        }
        if ((e.key === "Enter" || e.key === "Tab") && active >= 0) { e.preventDefault(); pick(active); return true; }
        if (e.key === "Escape") { close(); return true; }
        return false;
      }
    };
  })();

  // ---- keyboard: j/k move in the inbox, Enter opens, r focuses the reply ----
  document.addEventListener("keydown", function (e) {
    if (/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "r" && conv) { e.preventDefault(); document.getElementById("reply-body").focus(); return; }
    if (!inbox) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("#inbox-list tbody tr"));
    var cur = rows.indexOf(document.querySelector("#inbox-list tr.current"));
    if (e.key === "j" || e.key === "k") {
      if (cur >= 0) rows[cur].classList.remove("current");
      cur = Math.max(0, Math.min(rows.length - 1, cur + (e.key === "j" ? 1 : -1)));
      if (rows[cur]) { rows[cur].classList.add("current"); rows[cur].querySelector("a").focus(); }
    }
  });

  if (ME) connect();
})();

// Identity and account forms (verification code, checks, reveal, freeze
// requests): each form names its API call; fields named "a.b" nest. On
// success the page reloads, so what is masked or allowed is re-rendered
// by the server.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf;
  Array.prototype.forEach.call(document.querySelectorAll("form[data-api-path]"), function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {}, status = form.querySelector("[role=status]");
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.value === "") return;
        var parts = el.name.split("."), o = body;
        for (var i = 0; i < parts.length - 1; i++) o = o[parts[i]] = o[parts[i]] || {};
        o[parts[parts.length - 1]] = el.type === "number" ? Number(el.value) : el.value;
      });
      fetch(form.dataset.apiPath, { method: form.dataset.apiMethod || "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (j) {
            if (!r.ok) throw new Error((j && j.error && j.error.message) || r.statusText);
            location.reload();
          });
        }).catch(function (x) { if (status) status.textContent = x.message; });
    });
  });
})();
