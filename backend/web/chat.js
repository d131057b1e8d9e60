/* Resident web chat: talks to /channels/webchat/ws (protocol in backend/channels/webchat.py).
 *
 * - The privacy notice must be accepted before the chat starts; acceptance and the session token are
 *   kept in localStorage, so a reload goes straight back into the same conversation.
 * - A fresh page asks for the whole transcript (after = 0: the record is the only copy, nothing of the
 *   conversation is kept in the browser); a reconnect asks only for what it missed (after = the last
 *   message id this page has shown). Messages are de-duplicated by id.
 * - Every outgoing message carries a client_id; until the server echoes it back it stays queued and is
 *   sent again after a reconnect (the server ignores a client_id it already has).
 * - All text goes in with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.search);
  var EMBED = params.get("embed") === "1";
  var FRAMED = window.parent !== window;
  if (EMBED) {
    document.documentElement.classList.add("embed");
  }

  var KEY_TOKEN = "lwc.token";
  var KEY_ACCEPTED = "lwc.accepted";
  var NOTICE_VERSION = "1";
  var MAX_TEXT = 5000;
  var BACKOFF_MAX_MS = 15000;
  var TYPING_ANNOUNCE_MS = 2500;
  var TYPING_GIVE_UP_MS = 90000;

  var WHO = {
    resident: { label: "You", spoken: "You said: " },
    bot: { label: "Assistant", spoken: "Assistant said: " },
    agent: { label: "Our team", spoken: "Our team said: " },
    system: { label: "Notice", spoken: "Notice: " }
  };

  /* localStorage, or memory when it is blocked (private modes, some embedded contexts) */
  var memory = {};
  var storage = {
    get: function (key) {
      try {
        return window.localStorage.getItem(key);
      } catch (e) {
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      }
    },
    set: function (key, value) {
      memory[key] = String(value);
      try {
        window.localStorage.setItem(key, String(value));
      } catch (e) {
        /* memory only */
      }
    }
  };

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  /* -- state --------------------------------------------------------------------------------------- */

  var ui = {};
  var token = storage.get(KEY_TOKEN);
  var lastId = 0; /* the newest message id shown on this page */
  var shown = new Map(); /* message id -> element */
  var outbox = new Map(); /* client_id -> {frame, el, sent} waiting for the server's echo */
  var socket = null;
  var ready = false; /* the server has answered hello */
  var attempt = 0;
  var reconnectTimer = null;
  var hadConnection = false;
  var typingTimer = null;
  var typingGiveUp = null;
  var statusTimer = null;
  var announceTimer = null;
  var replaying = false;
  var replayTimer = null;
  var REPLAY_QUIET_MS = 600;

  /* -- connection ---------------------------------------------------------------------------------- */

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/channels/webchat/ws";
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ready = false;
    if (token && lastId === 0 && !replaying) {
      beginReplay();
    }
    ws.addEventListener("open", function () {
      if (ws !== socket) {
        return;
      }
      ws.send(JSON.stringify({ type: "hello", token: token || null, after: lastId }));
    });
    ws.addEventListener("message", function (event) {
      if (ws !== socket) {
        return;
      }
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && typeof data === "object") {
        handle(data);
      }
    });
    ws.addEventListener("close", function () {
      if (ws !== socket) {
        return;
      }
      socket = null;
      ready = false;
      outbox.forEach(function (item) {
        if (item.sent) {
          item.sent = false; /* not confirmed: send again after reconnecting */
          setMessageState(item.el, "queued");
        }
      });
      setTyping(false);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer) {
      return;
    }
    var delay = Math.min(1000 * Math.pow(2, attempt), BACKOFF_MAX_MS);
    attempt += 1;
    setStatus(hadConnection ? "Reconnecting…" : "Connecting…", true);
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (socket || !ui.chat || ui.chat.hidden) {
      return;
    }
    attempt = 0;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    connect();
  }

  function send(frame) {
    if (!socket || !ready) {
      return false;
    }
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      return false;
    }
  }

  function flushOutbox() {
    outbox.forEach(function (item) {
      if (!item.sent && send(item.frame)) {
        item.sent = true;
        setMessageState(item.el, "sending");
      }
    });
  }

  /* -- server events ------------------------------------------------------------------------------- */

  function handle(data) {
    switch (data.type) {
      case "session":
        onSession(data);
        break;
      case "message":
        onMessage(data);
        break;
      case "typing":
        setTyping(Boolean(data.on));
        break;
      case "error":
        onError(data);
        break;
      case "replayed":
        endReplay(); /* the server has sent everything this page missed */
        break;
      default:
        break;
    }
  }

  /* A fresh page gets the whole transcript at once: screen readers should not read it all out, so
     the log is quiet until the replay has finished (no message for a moment). */
  function beginReplay() {
    replaying = true;
    ui.log.setAttribute("aria-live", "off");
    ui.log.setAttribute("aria-busy", "true");
    replayTimer = setTimeout(endReplay, REPLAY_QUIET_MS * 10);
  }

  function extendReplay() {
    clearTimeout(replayTimer);
    replayTimer = setTimeout(endReplay, REPLAY_QUIET_MS);
  }

  function endReplay() {
    clearTimeout(replayTimer);
    if (!replaying) {
      return;
    }
    replaying = false;
    ui.log.setAttribute("aria-live", "polite");
    ui.log.removeAttribute("aria-busy");
    ui.empty.hidden = shown.size > 0 || outbox.size > 0;
    scrollToEnd(true);
  }

  function onSession(data) {
    if (typeof data.token !== "string" || !data.token) {
      return;
    }
    if (token && data.token !== token) {
      /* the server started a new conversation: what is on screen belongs to the old one */
      clearConversation();
    }
    token = data.token;
    storage.set(KEY_TOKEN, token);
    ready = true;
    attempt = 0;
    if (hadConnection) {
      setStatus("Connected again.", false);
      clearTimeout(statusTimer);
      statusTimer = setTimeout(function () { setStatus("", false); }, 4000);
    } else {
      setStatus("", false);
    }
    hadConnection = true;
    if (replaying) {
      extendReplay();
    }
    flushOutbox();
  }

  function onMessage(data) {
    var id = Number(data.id);
    if (!Number.isInteger(id) || id <= 0 || shown.has(id)) {
      return;
    }
    var sender = WHO[data.sender] ? data.sender : "bot";
    var clientId = typeof data.client_id === "string" ? data.client_id : null;
    var node;
    if (sender === "resident" && clientId && outbox.has(clientId)) {
      /* our own message came back: it is on the record now */
      node = outbox.get(clientId).el;
      outbox.delete(clientId);
      node.dataset.id = String(id);
      setMessageState(node, "done");
      setTime(node, data.at);
      setBubbleText(node, String(data.text || "")); /* as recorded (trimmed) */
    } else {
      node = renderMessage(sender, String(data.text || ""), data);
      node.dataset.id = String(id);
      insertInOrder(node, id);
    }
    shown.set(id, node);
    if (id > lastId) {
      lastId = id;
    }
    if (sender !== "resident") {
      setTyping(false);
    }
    if (replaying) {
      extendReplay();
    }
    ui.empty.hidden = true;
    refreshChoices();
    scrollToEnd(sender === "resident");
  }

  function onError(data) {
    var detail = typeof data.detail === "string" && data.detail ? data.detail : "Something went wrong. Please try again.";
    /* errors answer the frame just sent: the oldest unconfirmed message was refused, so don't resend it */
    var refused = typeof data.client_id === "string" && outbox.has(data.client_id) ? data.client_id : null;
    outbox.forEach(function (item, clientId) {
      if (!refused && item.sent) {
        refused = clientId;
      }
    });
    if (refused) {
      var item = outbox.get(refused);
      outbox.delete(refused);
      setMessageState(item.el, "failed");
      refreshChoices();
    }
    showError(detail);
  }

  /* -- rendering ----------------------------------------------------------------------------------- */

  function renderMessage(sender, text, data) {
    var who = WHO[sender];
    var node = el("div", "msg msg--" + sender);
    node.dataset.sender = sender;
    var meta = el("p", "msg-meta");
    meta.setAttribute("aria-hidden", "true");
    meta.appendChild(el("span", "msg-who", who.label));
    var time = el("time", "msg-time");
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    node.appendChild(meta);

    var bubble = el("p", "msg-bubble");
    bubble.appendChild(el("span", "visually-hidden", who.spoken));
    if (sender === "resident") {
      bubble.appendChild(document.createTextNode(text));
    } else {
      appendLinkified(bubble, text);
    }
    node.appendChild(bubble);
    if (data) {
      setTime(node, data.at);
      var src = typeof data.image === "string" ? safeImageUrl(data.image) : null;
      if (src) {
        var img = el("img", "msg-image");
        img.src = src;
        img.alt = typeof data.alt === "string" && data.alt ? data.alt : "Image sent by " + who.label.toLowerCase();
        img.loading = "lazy";
        node.appendChild(img);
      }
      if (Array.isArray(data.buttons) && data.buttons.length) {
        node.appendChild(renderChoices(data.buttons));
      }
    }
    return node;
  }

  function setBubbleText(node, text) {
    var bubble = node.querySelector(".msg-bubble");
    var spoken = bubble.querySelector(".visually-hidden");
    bubble.textContent = "";
    bubble.appendChild(spoken);
    bubble.appendChild(document.createTextNode(text));
  }

  function renderChoices(buttons) {
    var group = el("div", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choose an answer");
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string" || !b.payload) {
        return;
      }
      var title = typeof b.title === "string" && b.title ? b.title : b.payload;
      var button = el("button", "choice", title);
      button.type = "button";
      button.addEventListener("click", function () {
        if (button.disabled) {
          return;
        }
        button.classList.add("is-chosen");
        setGroupDisabled(group, true);
        queueFrame({ type: "choice", payload: b.payload, title: title }, title);
        ui.input.focus();
      });
      group.appendChild(button);
    });
    return group;
  }

  function setGroupDisabled(group, disabled) {
    group.querySelectorAll("button").forEach(function (b) { b.disabled = disabled; });
  }

  /* only the newest set of buttons, if the resident has not answered since, can be pressed; and a
     run of messages from the same sender shows its name once */
  function refreshChoices() {
    var live = null;
    var items = ui.log.children;
    for (var j = 0; j < items.length; j++) {
      var prev = items[j].previousElementSibling;
      items[j].classList.toggle("msg--cont", Boolean(prev) && prev.dataset.sender === items[j].dataset.sender);
    }
    for (var i = items.length - 1; i >= 0; i--) {
      if (items[i].classList.contains("msg--failed")) {
        continue; /* refused, so the question is still open */
      }
      if (items[i].classList.contains("msg--resident")) {
        break;
      }
      var group = items[i].querySelector(".choices");
      if (group) {
        live = group;
        break;
      }
    }
    ui.log.querySelectorAll(".choices").forEach(function (group) {
      setGroupDisabled(group, group !== live);
    });
  }

  var LINK = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  function appendLinkified(parent, text) {
    var at = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      if (match.index > at) {
        parent.appendChild(document.createTextNode(text.slice(at, match.index)));
      }
      var a = el("a", null, match[0]);
      a.href = match[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.appendChild(el("span", "visually-hidden", " (opens in a new tab)"));
      parent.appendChild(a);
      at = match.index + match[0].length;
    }
    if (at < text.length) {
      parent.appendChild(document.createTextNode(text.slice(at)));
    }
  }

  function safeImageUrl(src) {
    try {
      var url = new URL(src, window.location.href);
      if (url.protocol === "https:" || url.origin === window.location.origin) {
        return url.href;
      }
      if (url.protocol === "data:" && /^data:image\/(png|jpeg|gif|webp);/i.test(src)) {
        return src;
      }
    } catch (e) {
      /* not a URL */
    }
    return null;
  }

  function setTime(node, at) {
    var time = node.querySelector(".msg-time");
    if (!time || typeof at !== "string") {
      return;
    }
    var when = new Date(at);
    if (isNaN(when.getTime())) {
      return;
    }
    var sameDay = when.toDateString() === new Date().toDateString();
    var options = sameDay ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleString("en-GB", options);
  }

  function setMessageState(node, state) {
    if (!node) {
      return;
    }
    var line = node.querySelector(".msg-state");
    node.classList.toggle("msg--pending", state !== "done" && state !== "failed");
    if (state === "done") {
      if (line) {
        line.remove();
      }
      return;
    }
    if (!line) {
      line = el("p", "msg-state");
      node.appendChild(line);
    }
    line.classList.toggle("msg-state--failed", state === "failed");
    node.classList.toggle("msg--failed", state === "failed");
    /* "sending" is visual only; the others matter, so screen readers hear them as the text changes */
    line.setAttribute("aria-hidden", state === "sending" ? "true" : "false");
    line.textContent = {
      sending: "Sending…",
      queued: "Not sent yet. It will be sent when the connection is back.",
      failed: "Not sent."
    }[state];
  }

  /* confirmed messages go in id order, before any of the resident's still-unconfirmed ones (a refused
     message stays where it was) */
  function insertInOrder(node, id) {
    var before = null;
    for (var child = ui.log.lastElementChild; child; child = child.previousElementSibling) {
      if (child.classList.contains("msg--failed")) {
        break;
      }
      var childId = Number(child.dataset.id || 0);
      if (!childId || childId > id) {
        before = child;
      } else {
        break;
      }
    }
    ui.log.insertBefore(node, before);
  }

  function clearConversation() {
    ui.log.textContent = "";
    shown.clear();
    outbox.forEach(function (item) { ui.log.appendChild(item.el); });
    lastId = 0;
    ui.empty.hidden = outbox.size > 0;
  }

  function nearBottom() {
    var box = ui.scroller;
    if (box.scrollHeight > box.clientHeight + 1 && getComputedStyle(box).overflowY !== "visible") {
      return box.scrollHeight - box.scrollTop - box.clientHeight < 96;
    }
    var page = document.scrollingElement || document.documentElement;
    return page.scrollHeight - page.scrollTop - page.clientHeight < 96;
  }

  var stickToBottom = true;

  function scrollToEnd(force) {
    if (!force && !stickToBottom) {
      return;
    }
    var box = ui.scroller;
    box.scrollTop = box.scrollHeight;
    if (getComputedStyle(box).overflowY === "visible") {
      /* short window: the page scrolls, keep the message box in view */
      var page = document.scrollingElement || document.documentElement;
      page.scrollTop = page.scrollHeight;
    }
    stickToBottom = true;
  }

  /* -- typing, status and errors ------------------------------------------------------------------- */

  function setTyping(on) {
    clearTimeout(typingTimer);
    clearTimeout(typingGiveUp);
    var wasOn = !ui.typing.hidden;
    ui.typing.hidden = !on;
    if (on) {
      if (!wasOn) {
        /* only a slow reply is announced, so a quick answer isn't preceded by noise */
        typingTimer = setTimeout(function () { announce("The assistant is typing a reply."); }, TYPING_ANNOUNCE_MS);
      }
      typingGiveUp = setTimeout(function () { setTyping(false); }, TYPING_GIVE_UP_MS);
      scrollToEnd(false);
    }
  }

  function announce(text) {
    clearTimeout(announceTimer);
    ui.announce.textContent = text;
    announceTimer = setTimeout(function () { ui.announce.textContent = ""; }, 5000);
  }

  function setStatus(text, warning) {
    if (!ui.status) {
      return;
    }
    clearTimeout(statusTimer);
    if (ui.status.textContent !== text) {
      ui.status.textContent = text;
    }
    ui.status.classList.toggle("is-warning", Boolean(text) && warning);
  }

  function showError(text) {
    ui.error.textContent = text;
  }

  function clearError() {
    ui.error.textContent = "";
  }

  /* -- composing ----------------------------------------------------------------------------------- */

  function queueFrame(frame, displayText) {
    frame.client_id = newClientId();
    var node = renderMessage("resident", displayText, null);
    ui.log.appendChild(node);
    var item = { frame: frame, el: node, sent: false };
    outbox.set(frame.client_id, item);
    if (send(frame)) {
      item.sent = true;
      setMessageState(node, "sending");
    } else {
      setMessageState(node, "queued");
      if (!socket) {
        reconnectNow();
      }
    }
    clearError();
    ui.empty.hidden = true;
    refreshChoices();
    scrollToEnd(true);
  }

  function submit() {
    var text = ui.input.value;
    if (!text.trim()) {
      showError("Please type a message before sending.");
      ui.input.focus();
      return;
    }
    if (text.length > MAX_TEXT) {
      showError("That message is too long. Please keep it under " + MAX_TEXT + " characters, or send it in parts.");
      return;
    }
    queueFrame({ type: "message", text: text }, text);
    ui.input.value = "";
    autoGrow();
    ui.input.focus();
  }

  function autoGrow() {
    var input = ui.input;
    input.style.height = "auto"; /* CSSOM: allowed by the page's style-src policy, unlike style="" */
    input.style.height = input.scrollHeight + (input.offsetHeight - input.clientHeight) + "px";
  }

  /* -- start-up ------------------------------------------------------------------------------------ */

  function startChat(focus) {
    ui.notice.hidden = true;
    ui.chat.hidden = false;
    if (token) {
      ui.empty.hidden = true; /* a returning resident: the conversation is about to be replayed */
    }
    if (focus) {
      ui.input.focus();
    }
    connect();
  }

  function closeEmbed() {
    if (FRAMED) {
      window.parent.postMessage({ type: "lwc:close" }, "*");
    }
  }

  function init() {
    ["notice", "start", "chat", "scroller", "empty", "log", "typing", "status", "announce", "composer", "error", "message", "send"].forEach(function (id) {
      ui[id] = document.getElementById(id);
    });
    ui.input = ui.message;
    ui.closeEmbed = document.getElementById("close-embed");

    if (EMBED) {
      /* links open outside the small frame */
      document.querySelectorAll(".notice a").forEach(function (a) { a.target = "_blank"; });
      if (FRAMED) {
        ui.closeEmbed.hidden = false;
        ui.closeEmbed.addEventListener("click", closeEmbed);
        document.addEventListener("keydown", function (event) {
          if (event.key === "Escape" && !event.defaultPrevented) {
            closeEmbed();
          }
        });
        window.addEventListener("message", function (event) {
          if (event.source === window.parent && event.data && event.data.type === "lwc:focus") {
            (ui.chat.hidden ? ui.start : ui.input).focus();
          }
        });
      }
    }

    ui.composer.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    ui.input.addEventListener("input", function () {
      autoGrow();
      if (ui.error.textContent) {
        clearError();
      }
    });
    ui.scroller.addEventListener("scroll", function () { stickToBottom = nearBottom(); }, { passive: true });
    window.addEventListener("scroll", function () { stickToBottom = nearBottom(); }, { passive: true });
    window.addEventListener("online", reconnectNow);
    window.addEventListener("resize", function () { scrollToEnd(false); });

    ui.start.addEventListener("click", function () {
      storage.set(KEY_ACCEPTED, NOTICE_VERSION);
      startChat(true);
    });

    if (storage.get(KEY_ACCEPTED) === NOTICE_VERSION) {
      startChat(false);
    } else {
      ui.notice.hidden = false;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
