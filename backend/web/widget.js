/* The landlord's chat on any website, with one tag:
 *
 *   <script src="https://BACKEND/chat/widget.js" async></script>
 *
 * Adds a "Chat with us" button at the bottom right; pressing it opens a panel with the chat
 * (BACKEND/chat?embed=1) in a frame. Everything it adds to the page is prefixed "lwc-", its styles
 * come in one <style id="lwc-style"> element, and it touches nothing else on the host page.
 */
(function () {
  "use strict";

  if (window.__lwcWidget) {
    return; /* the tag was included twice */
  }
  window.__lwcWidget = true;

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[src*='/chat/widget.js']");
    script = candidates[candidates.length - 1];
  }
  if (!script || !script.src) {
    return;
  }
  var src = new URL(script.src, window.location.href);
  var ORIGIN = src.origin;
  /* the backend may live under a path: https://example.org/housing/chat/widget.js */
  var BASE = ORIGIN + src.pathname.replace(/\/chat\/widget\.js$/, "");
  var CHAT_URL = BASE + "/chat?embed=1";

  var CSS = [
    ".lwc-root{all:initial;position:fixed;right:1rem;bottom:1rem;z-index:2147483000;",
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;",
    "font-size:max(1rem,16px);line-height:1.4;color:#0b0c0c;direction:ltr;text-align:left}",
    ".lwc-root *,.lwc-root *::before,.lwc-root *::after{box-sizing:border-box}",
    ".lwc-root .lwc-launcher{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;gap:.5em;",
    "min-height:3em;min-width:3em;padding:.625em 1.25em;border:.125em solid #ffffff;border-radius:1.625em;",
    "background:#0b4f8a;color:#ffffff;font:inherit;font-weight:700;line-height:1.25;cursor:pointer;",
    "box-shadow:0 .25em .75em rgba(0,0,0,.3)}",
    ".lwc-root .lwc-launcher:hover{background:#083a66}",
    ".lwc-root .lwc-launcher:focus{outline:none}",
    ".lwc-root .lwc-launcher:focus-visible{outline:.1875em solid #ffdd00;outline-offset:0;box-shadow:0 0 0 .375em #0b0c0c}",
    ".lwc-root .lwc-icon{display:block;width:1.25em;height:1.25em;fill:currentColor;flex:none}",
    ".lwc-root .lwc-icon-close,.lwc-root .lwc-launcher[aria-expanded='true'] .lwc-icon-chat{display:none}",
    ".lwc-root .lwc-launcher[aria-expanded='true'] .lwc-icon-close{display:inline}",
    ".lwc-root .lwc-panel{all:initial;box-sizing:border-box;position:fixed;right:1rem;bottom:5rem;display:block;",
    "width:min(25em,calc(100vw - 2rem));height:min(40em,calc(100vh - 6.5rem));",
    "border:1px solid #6f777b;border-radius:.75em;overflow:hidden;background:#ffffff;",
    "box-shadow:0 .5em 2em rgba(0,0,0,.35)}",
    ".lwc-root .lwc-panel[hidden]{display:none}",
    ".lwc-root .lwc-frame{all:initial;display:block;width:100%;height:100%;border:0;background:#ffffff}",
    "@media (max-width:30em){.lwc-root .lwc-panel{right:.5rem;left:.5rem;bottom:4.75rem;width:auto;",
    "height:calc(100vh - 5.5rem)}.lwc-root{right:.5rem;bottom:.5rem}}",
    "@media (prefers-reduced-motion:no-preference){.lwc-root .lwc-panel{animation:lwc-in .15s ease-out}}",
    "@keyframes lwc-in{from{opacity:0;transform:translateY(.5em)}to{opacity:1;transform:none}}",
    "@media (forced-colors:active){.lwc-root .lwc-launcher,.lwc-root .lwc-panel{border:2px solid CanvasText}}"
  ].join("");

  var root, launcher, panel, frame;
  var frameLoaded = false;

  function build() {
    if (!document.getElementById("lwc-style")) {
      var style = document.createElement("style");
      style.id = "lwc-style";
      style.textContent = CSS;
      (document.head || document.documentElement).appendChild(style);
    }

    root = document.createElement("div");
    root.className = "lwc-root";

    panel = document.createElement("div");
    panel.className = "lwc-panel";
    panel.id = "lwc-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-label", "Chat with your landlord");

    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "lwc-launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "lwc-panel");
    launcher.appendChild(icon());
    var label = document.createElement("span");
    label.className = "lwc-label";
    label.textContent = "Chat with us";
    launcher.appendChild(label);
    launcher.addEventListener("click", function () {
      if (panel.hidden) {
        open();
      } else {
        close();
      }
    });

    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(root);

    /* the host page's policy may refuse inline <style>: then keep at least the essentials (set from
       script, which such policies allow) so the button still sits in the corner */
    if (window.getComputedStyle(root).position !== "fixed") {
      fallbackStyles();
    }

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden && root.contains(document.activeElement)) {
        close();
      }
    });
    window.addEventListener("message", function (event) {
      /* only our own chat frame can ask to close */
      if (!frame || event.origin !== ORIGIN || event.source !== frame.contentWindow) {
        return;
      }
      if (event.data && event.data.type === "lwc:close") {
        close();
      }
    });
  }

  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "lwc-icon");
    svg.setAttribute("width", "20"); /* sizes in case the host page refuses our styles */
    svg.setAttribute("height", "20");
    var shapes = {
      "lwc-icon-chat": "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z",
      "lwc-icon-close": "M6.4 4.6 12 10.2l5.6-5.6 1.8 1.8-5.6 5.6 5.6 5.6-1.8 1.8-5.6-5.6-5.6 5.6-1.8-1.8 5.6-5.6-5.6-5.6z"
    };
    Object.keys(shapes).forEach(function (name) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("class", name);
      path.setAttribute("d", shapes[name]);
      svg.appendChild(path);
    });
    return svg;
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "lwc-frame";
      frame.title = "Chat with your landlord";
      frame.src = CHAT_URL;
      frame.addEventListener("load", function () {
        frameLoaded = true;
        focusChat();
      });
      panel.appendChild(frame);
      if (root.style.position === "fixed") {
        fallbackStyles();
      }
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (frameLoaded) {
      focusChat();
    }
  }

  function focusChat() {
    if (panel.hidden) {
      return;
    }
    frame.focus();
    /* the chat moves focus to its first control (it only listens to its parent) */
    frame.contentWindow.postMessage({ type: "lwc:focus" }, ORIGIN);
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function fallbackStyles() {
    var set = function (node, styles) {
      if (!node) {
        return;
      }
      Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; });
    };
    set(root, { position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000" });
    set(panel, {
      position: "fixed",
      right: "16px",
      bottom: "80px",
      width: "min(400px, calc(100vw - 32px))",
      height: "min(640px, calc(100vh - 104px))",
      background: "#fff",
      border: "1px solid #6f777b",
      borderRadius: "12px",
      overflow: "hidden",
      boxShadow: "0 8px 32px rgba(0,0,0,.35)"
    });
    set(frame, { width: "100%", height: "100%", border: "0" });
    set(launcher, { minHeight: "48px", padding: "10px 20px", background: "#0b4f8a", color: "#fff", border: "2px solid #fff", borderRadius: "26px", font: "700 16px/1.25 system-ui, sans-serif", cursor: "pointer" });
    set(launcher && launcher.querySelector("svg"), { display: "none" });
  }

  if (document.body) {
    build();
  } else {
    document.addEventListener("DOMContentLoaded", build);
  }
})();
