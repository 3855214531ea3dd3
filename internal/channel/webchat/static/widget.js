/* Vigil chat widget loader.
   <script src="https://desk.example/widget.js" data-lang="zh" data-identity-token="…" async></script>
   Adds a launcher button and the chat iframe. The identity token, signed by
   the exchange's backend, goes to the iframe by postMessage, never in a URL. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.VigilChat) return;
  var base = new URL(script.src).origin;
  var lang = script.getAttribute("data-lang") || "";
  var identity = script.getAttribute("data-identity-token") || "";
  var position = script.getAttribute("data-position") === "left" ? "left" : "right";

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", lang.indexOf("zh") === 0 ? "在线客服" : "Chat with support");
  button.setAttribute("aria-expanded", "false");
  button.textContent = "💬";
  button.style.cssText = "position:fixed;bottom:20px;" + position + ":20px;width:56px;height:56px;border-radius:50%;" +
    "border:0;background:#0b5cff;color:#fff;font-size:24px;cursor:pointer;z-index:2147483646;box-shadow:0 4px 12px rgba(0,0,0,.25)";

  var frame = document.createElement("iframe");
  frame.title = button.getAttribute("aria-label");
  // The page's context (data-context, or the host page's path) lets the
  // chat show the incidents a visitor on this page is likely to be hit by.
  var context = (script.getAttribute("data-context") || location.pathname).slice(0, 400);
  frame.src = base + "/widget/chat?context=" + encodeURIComponent(context) + (lang ? "&lang=" + encodeURIComponent(lang) : "");
  frame.setAttribute("data-vigil", "chat");
  frame.style.cssText = "position:fixed;bottom:88px;" + position + ":20px;width:380px;max-width:calc(100vw - 40px);" +
    "height:600px;max-height:calc(100vh - 120px);border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);" +
    "z-index:2147483647;display:none;background:#fff";

  function open() { frame.style.display = "block"; button.setAttribute("aria-expanded", "true"); }
  function close() { frame.style.display = "none"; button.setAttribute("aria-expanded", "false"); button.focus(); }
  button.addEventListener("click", function () { frame.style.display === "none" ? open() : close(); });

  window.addEventListener("message", function (e) {
    if (e.origin !== base || e.source !== frame.contentWindow || !e.data) return;
    if (e.data.type === "vigil:ready") {
      frame.contentWindow.postMessage({ type: "vigil:identity", token: identity }, base);
    } else if (e.data.type === "vigil:close") {
      close();
    }
  });

  function mount() {
    document.body.appendChild(frame);
    document.body.appendChild(button);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.VigilChat = {
    open: open,
    close: close,
    identify: function (token) {
      identity = token || "";
      frame.contentWindow && frame.contentWindow.postMessage({ type: "vigil:identity", token: identity }, base);
    }
  };
})();
