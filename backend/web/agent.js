/* Contact-centre agent console. Everything comes from the agent API (backend/api/agent.py) after login.
 *
 * - The login token is kept in sessionStorage (this tab only); a 401 sends the agent back to the login
 *   form, a 403 says the account is not an agent's or manager's.
 * - Live updates come over /api/v1/agent/live (first frame: the token). "queue" events mean "fetch the
 *   queue again"; after a "watch", message events of the open conversation arrive as they happen. The
 *   socket reconnects with backoff; while it is down the queue and the open conversation are fetched
 *   every 5 seconds. After every (re)connection both are fetched again, so nothing missed is lost, and
 *   messages are de-duplicated by id.
 * - Everything people wrote goes in with textContent, never as HTML.
 */
(function () {
  "use strict";

  var KEY_TOKEN = "agent.token";
  var KEY_OPEN = "agent.open";
  var POLL_MS = 5000;
  var BACKOFF_MAX_MS = 30000;
  var REQUEST_TIMEOUT_MS = 15000;
  var WATCH_SETTLE_MS = 2000;
  var READY_TIMEOUT_MS = 10000;

  var REASONS = {
    asked: "Asked for a person",
    safeguarding: "Safeguarding",
    emergency: "Emergency",
    misunderstood: "Didn't understand twice",
    needs_person: "Needs a person (adjustment)",
    keyword: "Keyword"
  };
  var CHANNELS = {
    webchat: "Web chat",
    sms: "SMS",
    whatsapp: "WhatsApp",
    telegram: "Telegram",
    phone: "Phone",
    email: "Email",
    letter: "Letter",
    in_person: "In person"
  };
  var SENDERS = {
    resident: "Resident",
    bot: "Assistant",
    agent: "Agent",
    system: "System message"
  };
  var ADJUSTMENTS = [
    ["large_print", "Large print", /large print|bigger (text|print)|big print/i],
    ["audio", "Audio", /\baudio\b|read (it )?(out|aloud)|recording/i],
    ["braille", "Braille", /braille/i],
    ["bsl", "British Sign Language (BSL)", /\bbsl\b|sign language|signer/i],
    ["interpreter", "Interpreter", /interpret|translat|language|urdu|polish|arabic|somali|bengali|punjabi|romanian|tigrinya|farsi|kurdish/i],
    ["easy_read", "Easy read", /easy read|simple (words|english)|plain english/i],
    ["text_only", "Text only (no phone calls)", /text (only|messages)|only text|by text|no (phone )?calls|can'?t (use the )?phone|deaf/i],
    ["contact_times", "Contact only at certain times", /morning|afternoon|evening|after \d|before \d|weekday|\bam\b|\bpm\b|o'?clock/i],
    ["extra_time", "More time", /more time|extra time|take my time/i],
    ["advocate", "An advocate", /advocate/i],
    ["needs_person", "Needs to talk to a person", /(real|actual) person|(speak|talk)(ing)? to (a |someone|somebody)|not (a |the )?(bot|robot|computer)/i],
    ["other", "Other", null]
  ];
  var SERVICE_CODES = [
    ["repairs_general", "Repair (general)", null],
    ["repairs_heating", "Heating and hot water", /boiler|heating|radiator|hot water|no heat/i],
    ["repairs_plumbing", "Plumbing and leaks", /tap|leak|toilet|sink|pipe|drain|bath|shower|plumb|flush|water/i],
    ["repairs_damp_mould", "Damp and mould", /damp|mould|mold|condensation/i],
    ["repairs_electrical", "Electrical", /electric|socket|light|fuse|switch|wiring|power/i],
    ["repairs_doors_windows", "Doors, windows and locks", /door|window|lock|glass|handle/i],
    ["repairs_roof", "Roof and gutters", /roof|gutter|ceiling|tiles/i],
    ["pest_control", "Pest control", /mice|mouse|rats?\b|cockroach|bed ?bugs|pest|wasps?|insects?/i],
    ["communal_areas", "Communal areas", /communal|stair|hallway|lift|bin store|landing|grounds|garden/i],
    ["adaptations", "Adaptations", /grab rail|ramp|adaptation|walk[- ]in|stair ?lift|handrail/i],
    ["asb_report", "Antisocial behaviour", null]
  ];
  var SKIP = /^\s*(skip|no|none|n\/?a|rather not|no thanks|not really|nope|nah|nothing( else)?|that'?s (all|it)|done|n)\W*$/i;
  var EMAIL = /[^@\s]+@[^@\s]+\.[^@\s]+/;
  var PHONE = /(\+?\d[\d ()-]{8,18}\d)/;
  var POSTCODE = /^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$/;

  /* -- small helpers ------------------------------------------------------------------------------- */

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function storageGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) {
        window.sessionStorage.removeItem(key);
      } else {
        window.sessionStorage.setItem(key, String(value));
      }
    } catch (e) {
      /* this tab only, then */
    }
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function duration(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) {
      return s + " s";
    }
    var m = Math.floor(s / 60);
    if (m < 60) {
      return m + " min " + pad(s % 60) + " s";
    }
    return Math.floor(m / 60) + " h " + pad(m % 60) + " min";
  }

  function clock(at) {
    var when = new Date(at);
    if (isNaN(when.getTime())) {
      return null;
    }
    var sameDay = when.toDateString() === new Date().toDateString();
    var options = sameDay ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    return { iso: when.toISOString(), text: when.toLocaleString("en-GB", options) };
  }

  function text(value) {
    return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
  }

  function lines(value) {
    return text(value)
      .split(/\r?\n/)
      .map(function (l) { return l.trim(); })
      .filter(Boolean);
  }

  function reasonLabel(reason) {
    return REASONS[reason] || text(reason);
  }

  function channelLabel(channel) {
    return CHANNELS[channel] || text(channel);
  }

  function announce(message) {
    var node = $("announcer");
    node.textContent = "";
    /* a fresh text node after a tick, so the same words twice are still read out */
    setTimeout(function () { node.textContent = message; }, 50);
  }

  /* -- state --------------------------------------------------------------------------------------- */

  var ui = {};
  var token = storageGet(KEY_TOKEN);
  var me = null; /* {id, name, role} */
  var queue = []; /* the last queue the API returned */
  var queueFetchedAt = 0;
  var knownQueued = null; /* handoff ids seen waiting (null until the first fetch) */
  var queueNodes = new Map(); /* handoff id -> li */
  var unread = new Set(); /* conversation ids with a resident message not yet seen */
  var canned = [];
  var current = null; /* the open conversation: {id, handoff, conversation, draft, resident, open_cases, fetchedAt} */
  var shown = new Map(); /* message id -> element, for the open conversation */
  var socket = null;
  var socketReady = false;
  var attempt = 0;
  var reconnectTimer = null;
  var readyTimer = null;
  var pollTimer = null;
  var queueTimer = null;
  var convTimer = null;
  var queueLoading = null;
  var watchedAt = 0;
  var sending = false;
  var returnFocus = null;

  /* -- the API ------------------------------------------------------------------------------------- */

  function errorText(data, status) {
    if (data && typeof data.detail === "string" && data.detail) {
      return data.detail;
    }
    if (data && Array.isArray(data.detail)) {
      return data.detail.map(function (d) { return d && d.msg ? d.msg : ""; }).filter(Boolean).join("; ");
    }
    if (status === 0) {
      return "The server could not be reached. Check your connection and try again.";
    }
    return "Something went wrong (" + status + "). Please try again.";
  }

  function api(method, path, body, quiet) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var init = { method: method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (token) {
      init.headers.Authorization = "Bearer " + token;
    }
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (controller) {
      init.signal = controller.signal;
    }
    return fetch(path, init)
      .then(function (response) {
        return response.text().then(function (raw) {
          var data = null;
          try {
            data = raw ? JSON.parse(raw) : null;
          } catch (e) {
            data = null;
          }
          return { ok: response.ok, status: response.status, data: data, error: response.ok ? null : errorText(data, response.status) };
        });
      })
      .catch(function () {
        return { ok: false, status: 0, data: null, error: errorText(null, 0) };
      })
      .then(function (result) {
        clearTimeout(timer);
        if (!quiet && result.status === 401 && token) {
          signedOut("Your session has ended. Please sign in again.");
        } else if (!quiet && result.status === 403) {
          showGlobalError(notAllowedText());
        }
        return result;
      });
  }

  function notAllowedText(role) {
    var who = role ? " You are signed in as " + (role === "officer" ? "an officer" : "a " + role) + "." : "";
    return "This console is for contact-centre agents and managers only." + who + " Ask a manager if you need access.";
  }

  /* -- signing in and out -------------------------------------------------------------------------- */

  function showLogin(message) {
    ui.consoleView.hidden = true;
    ui.userBar.hidden = true;
    ui.loginView.hidden = false;
    ui.loginError.textContent = message || "";
    document.title = "Sign in – Agent console";
    ui.loginEmail.focus();
  }

  function signedOut(message) {
    stopLive();
    token = null;
    me = null;
    storageSet(KEY_TOKEN, null);
    document.querySelectorAll("dialog[open]").forEach(closeDialog);
    closeConversationView();
    queue = [];
    knownQueued = null;
    unread.clear();
    renderQueue();
    document.title = "Agent console";
    showLogin(message);
  }

  function onLogin(event) {
    event.preventDefault();
    var email = ui.loginEmail.value.trim();
    var password = ui.loginPassword.value;
    if (!email || !password) {
      ui.loginError.textContent = !email ? "Enter your email address." : "Enter your password.";
      (!email ? ui.loginEmail : ui.loginPassword).focus();
      return;
    }
    ui.loginSubmit.disabled = true;
    ui.loginError.textContent = "";
    token = null;
    api("POST", "/api/v1/auth/login", { email: email, password: password }, true).then(function (r) {
      ui.loginSubmit.disabled = false;
      if (!r.ok) {
        ui.loginError.textContent = r.error;
        ui.loginPassword.value = "";
        ui.loginPassword.focus();
        return;
      }
      if (r.data.role !== "agent" && r.data.role !== "manager") {
        /* not for this console: end the session straight away */
        token = r.data.token;
        api("POST", "/api/v1/auth/logout", undefined, true);
        token = null;
        ui.loginError.textContent = notAllowedText(r.data.role);
        ui.loginPassword.value = "";
        ui.loginEmail.focus();
        return;
      }
      token = r.data.token;
      storageSet(KEY_TOKEN, token);
      ui.loginPassword.value = "";
      start();
    });
  }

  function onLogout() {
    var old = token;
    stopLive();
    if (old) {
      api("POST", "/api/v1/auth/logout", undefined, true);
    }
    signedOut("You have logged out.");
  }

  function start() {
    api("GET", "/api/v1/auth/me", undefined, true).then(function (r) {
      if (r.status === 401 || !r.ok) {
        signedOut(r.status === 401 ? "Your session has ended. Please sign in again." : r.error);
        return;
      }
      if (r.data.role !== "agent" && r.data.role !== "manager") {
        var role = r.data.role;
        signedOut("");
        ui.loginError.textContent = notAllowedText(role);
        return;
      }
      me = r.data;
      showGlobalError("");
      ui.userName.textContent = me.name;
      ui.loginView.hidden = true;
      ui.consoleView.hidden = false;
      ui.userBar.hidden = false;
      ui.main.focus();
      knownQueued = null;
      loadCanned();
      refreshQueue();
      connect();
      var open = Number(storageGet(KEY_OPEN));
      if (Number.isInteger(open) && open > 0) {
        openConversation(open, false);
      }
    });
  }

  /* -- live updates -------------------------------------------------------------------------------- */

  function socketUrl() {
    return (window.location.protocol === "https:" ? "wss:" : "ws:") + "//" + window.location.host + "/api/v1/agent/live";
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (!token) {
      return;
    }
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      socketDown();
      return;
    }
    socket = ws;
    socketReady = false;
    ws.addEventListener("open", function () {
      if (ws === socket) {
        ws.send(JSON.stringify({ type: "auth", token: token }));
        /* a socket that opens but never says "ready" (a proxy in the way) counts as down */
        clearTimeout(readyTimer);
        readyTimer = setTimeout(function () {
          if (ws === socket && !socketReady) {
            dropSocket(ws);
          }
        }, READY_TIMEOUT_MS);
      }
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
        onLive(data);
      }
    });
    ws.addEventListener("close", function () {
      if (ws !== socket) {
        return;
      }
      socket = null;
      socketReady = false;
      socketDown();
    });
  }

  function dropSocket(ws) {
    socket = null;
    socketReady = false;
    try {
      ws.close();
    } catch (e) {
      /* already closed */
    }
    socketDown();
  }

  function socketDown() {
    if (!token) {
      return;
    }
    setConnection("Live updates are paused: reconnecting, and checking every 5 seconds meanwhile.", true);
    startPolling();
    if (reconnectTimer) {
      return;
    }
    var delay = Math.min(1000 * Math.pow(2, attempt), BACKOFF_MAX_MS);
    delay = Math.round(delay * (0.8 + Math.random() * 0.4));
    attempt += 1;
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (!token || socket) {
      return;
    }
    attempt = 0;
    connect();
  }

  function stopLive() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    stopPolling();
    var ws = socket;
    socket = null;
    socketReady = false;
    if (ws) {
      try {
        ws.close();
      } catch (e) {
        /* already closed */
      }
    }
  }

  function startPolling() {
    if (pollTimer) {
      return;
    }
    pollTimer = setInterval(function () {
      refreshQueue();
      if (current) {
        refreshConversation();
      }
    }, POLL_MS);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function setConnection(message, warning) {
    ui.connection.textContent = message;
    ui.connection.classList.toggle("is-warning", Boolean(warning));
    ui.queueMode.textContent = warning ? "Updating every 5 seconds until live updates are back." : "Updates live.";
  }

  function onLive(data) {
    switch (data.type) {
      case "ready":
        clearTimeout(readyTimer);
        socketReady = true;
        attempt = 0;
        stopPolling();
        setConnection("Live", false);
        watch();
        /* whatever happened while we were away */
        refreshQueue();
        if (current) {
          refreshConversation();
        }
        break;
      case "error":
        if (!socketReady) {
          /* the token was refused: the session is over */
          stopLive();
          signedOut("Your session has ended. Please sign in again.");
        }
        break;
      case "queue":
        scheduleQueue();
        break;
      case "resident_message":
        if (!current || !current.conversation || data.conversation_id !== current.conversation.id) {
          if (Number.isInteger(data.conversation_id)) {
            unread.add(data.conversation_id);
            renderQueue();
          }
        }
        break;
      case "message":
        onLiveMessage(data);
        break;
      case "typing":
        if (current) {
          ui.typing.hidden = !data.on;
        }
        break;
      default:
        break;
    }
  }

  function watch() {
    if (socket && socketReady && current && current.conversation) {
      watchedAt = Date.now();
      socket.send(JSON.stringify({ type: "watch", conversation_id: current.conversation.id }));
    }
  }

  function onLiveMessage(data) {
    if (!current || !current.conversation) {
      return;
    }
    if (Number.isInteger(data.conversation_id) && data.conversation_id !== current.conversation.id) {
      return;
    }
    if (Date.now() - watchedAt < WATCH_SETTLE_MS) {
      /* just switched: this might still be the previous conversation's; ask the record instead */
      scheduleConversation();
      return;
    }
    var direction = data.direction || (data.sender === "resident" ? "in" : "out");
    addMessage({ id: data.id, direction: direction, sender: data.sender, text: data.text, created_at: data.at, buttons: data.buttons, agent_name: data.agent_name }, true);
    if (data.sender !== "resident" && data.sender !== "agent") {
      ui.typing.hidden = true;
    }
  }

  /* -- the queue ----------------------------------------------------------------------------------- */

  function scheduleQueue() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(refreshQueue, 150);
  }

  function refreshQueue() {
    if (!token || !me) {
      return Promise.resolve();
    }
    if (queueLoading) {
      queueLoading.again = true;
      return queueLoading.promise;
    }
    var loading = { again: false };
    queueLoading = loading;
    loading.promise = api("GET", "/api/v1/agent/queue").then(function (r) {
      queueLoading = null;
      if (r.ok && Array.isArray(r.data)) {
        onQueue(r.data);
      }
      if (loading.again) {
        return refreshQueue();
      }
      return undefined;
    });
    return loading.promise;
  }

  function onQueue(items) {
    queue = items;
    queueFetchedAt = Date.now();
    var waiting = items.filter(function (q) { return q.status === "queued"; });
    if (knownQueued !== null) {
      var fresh = waiting.filter(function (q) { return !knownQueued.has(q.id); });
      if (fresh.length) {
        var urgent = fresh.some(function (q) { return q.flags && q.flags.safeguarding; });
        announce(
          (urgent ? "Urgent: " : "") +
            (fresh.length === 1
              ? "a new conversation is waiting: " + reasonLabel(fresh[0].reason) + ", " + channelLabel(fresh[0].channel) + "."
              : fresh.length + " new conversations are waiting.")
        );
      }
    }
    knownQueued = new Set(waiting.map(function (q) { return q.id; }));
    document.title = (waiting.length ? "(" + waiting.length + " waiting) " : "") + "Agent console";
    ui.queueCount.textContent = waiting.length ? "(" + waiting.length + " waiting)" : "";
    renderQueue();
    syncCurrentFromQueue();
  }

  function waitedSeconds(item) {
    return item.waiting_seconds + Math.floor((Date.now() - queueFetchedAt) / 1000);
  }

  function waitText(item) {
    var waited = duration(waitedSeconds(item));
    return item.status === "queued" ? " " + waited : " · requested " + waited + " ago";
  }

  function holderText(item) {
    if (item.status !== "claimed") {
      return "Waiting";
    }
    if (me && item.claimed_by === me.id) {
      return "With you";
    }
    return "With " + (item.claimed_by_name || "another agent");
  }

  function flagList(flags, into) {
    into.textContent = "";
    if (!flags) {
      return;
    }
    if (flags.safeguarding) {
      into.appendChild(el("li", "flag flag--danger", "Safeguarding"));
    }
    if (flags.adjustments) {
      into.appendChild(el("li", "flag flag--adjust", "Reasonable adjustments"));
    }
    if (flags.representative) {
      into.appendChild(el("li", "flag flag--rep", "Representative"));
    }
    into.hidden = !into.children.length;
  }

  function queueItem(item) {
    var li = queueNodes.get(item.id);
    if (!li) {
      li = el("li", "q-item");
      li.dataset.handoffId = String(item.id);
      var top = el("p", "q-top");
      top.appendChild(el("span", "q-reason"));
      top.appendChild(document.createTextNode(" "));
      top.appendChild(el("span", "q-channel"));
      li.appendChild(top);
      var wait = el("p", "q-wait");
      wait.appendChild(el("span", "q-holder"));
      wait.appendChild(el("span", "q-time"));
      li.appendChild(wait);
      var flags = el("ul", "flags q-flags");
      flags.setAttribute("aria-label", "Flags");
      li.appendChild(flags);
      li.appendChild(el("p", "q-unread", "New message from the resident"));
      li.appendChild(el("p", "q-last"));
      var actions = el("div", "q-actions");
      var claim = el("button", "button q-claim");
      claim.type = "button";
      claim.appendChild(document.createTextNode("Claim"));
      claim.appendChild(el("span", "visually-hidden q-claim-for"));
      claim.addEventListener("click", function () { claimHandoff(Number(li.dataset.handoffId), claim); });
      var view = el("button", "button button--secondary q-open");
      view.type = "button";
      view.appendChild(el("span", "q-open-label", "View"));
      view.appendChild(el("span", "visually-hidden q-open-for"));
      view.addEventListener("click", function () { openConversation(Number(li.dataset.handoffId), true); });
      actions.appendChild(claim);
      actions.appendChild(view);
      li.appendChild(actions);
      queueNodes.set(item.id, li);
    }
    li.dataset.conversationId = item.conversation_id ? String(item.conversation_id) : "";
    li.dataset.status = item.status;
    li.classList.toggle("q-item--urgent", Boolean(item.flags && item.flags.safeguarding));
    li.classList.toggle("q-item--held", item.status === "claimed");
    li.classList.toggle("q-item--mine", item.status === "claimed" && me && item.claimed_by === me.id);
    li.classList.toggle("q-item--open", Boolean(current && current.id === item.id));
    var label = reasonLabel(item.reason) + ", " + channelLabel(item.channel);
    li.querySelector(".q-reason").textContent = reasonLabel(item.reason);
    li.querySelector(".q-channel").textContent = channelLabel(item.channel);
    li.querySelector(".q-holder").textContent = holderText(item);
    li.querySelector(".q-time").textContent = waitText(item);
    flagList(item.flags, li.querySelector(".q-flags"));
    li.querySelector(".q-unread").hidden = !(item.conversation_id && unread.has(item.conversation_id));
    var last = li.querySelector(".q-last");
    last.textContent = item.last_message ? "“" + item.last_message + "”" : "";
    last.hidden = !item.last_message;
    var claim = li.querySelector(".q-claim");
    claim.hidden = item.status !== "queued";
    li.querySelector(".q-claim-for").textContent = " " + label;
    li.querySelector(".q-open-label").textContent = current && current.id === item.id ? "Open" : "View";
    li.querySelector(".q-open-for").textContent = " " + label + " (" + holderText(item).toLowerCase() + ")";
    return li;
  }

  function renderQueue() {
    if (!ui.queueList) {
      return;
    }
    var focused = document.activeElement;
    var focusedItem = focused && ui.queueList.contains(focused) ? focused.closest("li") : null;
    var focusedClass = focusedItem ? (focused.classList.contains("q-claim") ? ".q-claim" : ".q-open") : null;
    var keep = new Set(queue.map(function (q) { return q.id; }));
    queueNodes.forEach(function (li, id) {
      if (!keep.has(id)) {
        li.remove();
        queueNodes.delete(id);
      }
    });
    var nodes = queue.map(queueItem);
    var inOrder = nodes.every(function (li, i) { return ui.queueList.children[i] === li; }) && ui.queueList.children.length === nodes.length;
    if (!inOrder) {
      nodes.forEach(function (li) { ui.queueList.appendChild(li); });
    }
    ui.queueEmpty.hidden = queue.some(function (q) { return q.status === "queued"; });
    ui.queueEmpty.textContent = queue.length ? "No one is waiting. The conversations below are being handled." : "No one is waiting.";
    if (focusedItem && document.activeElement !== focused) {
      var again = focusedItem.isConnected ? focusedItem.querySelector(focusedClass) : null;
      if (again && !again.hidden) {
        again.focus();
      } else if (focusedItem.isConnected) {
        focusedItem.querySelector(".q-open").focus();
      }
    }
  }

  function tick() {
    if (ui.consoleView.hidden) {
      return;
    }
    queue.forEach(function (item) {
      var li = queueNodes.get(item.id);
      if (li) {
        li.querySelector(".q-time").textContent = waitText(item);
      }
    });
    if (current && current.handoff) {
      renderMeta();
    }
  }

  /* -- the open conversation ----------------------------------------------------------------------- */

  function canAct() {
    if (!current || !current.handoff || !me) {
      return false;
    }
    var h = current.handoff;
    return h.status === "claimed" && (h.claimed_by === me.id || me.role === "manager");
  }

  function openConversation(handoffId, focus) {
    if (!current || current.id !== handoffId) {
      current = { id: handoffId, handoff: null, conversation: null, draft: {}, resident: null, open_cases: [], fetchedAt: Date.now() };
      shown.clear();
      ui.transcript.textContent = "";
      ui.typing.hidden = true;
      ui.convError.textContent = "";
      ui.convNotice.textContent = "";
      ui.replyError.textContent = "";
      ui.reply.value = "";
      storageSet(KEY_OPEN, handoffId);
    }
    ui.convPlaceholder.hidden = true;
    ui.conv.hidden = false;
    ui.details.hidden = false;
    ui.consoleView.classList.add("has-details");
    return refreshConversation(true).then(function (ok) {
      renderQueue();
      if (ok && focus) {
        ui.convTitle.focus();
      }
      return ok;
    });
  }

  function closeConversationView() {
    current = null;
    shown.clear();
    storageSet(KEY_OPEN, null);
    ui.conv.hidden = true;
    ui.details.hidden = true;
    ui.consoleView.classList.remove("has-details");
    ui.convPlaceholder.hidden = false;
    renderQueue();
  }

  function scheduleConversation() {
    clearTimeout(convTimer);
    convTimer = setTimeout(function () { refreshConversation(false); }, 200);
  }

  function refreshConversation(first) {
    if (!current) {
      return Promise.resolve(false);
    }
    var id = current.id;
    return api("GET", "/api/v1/agent/handoffs/" + id).then(function (r) {
      if (!current || current.id !== id) {
        return false;
      }
      if (!r.ok) {
        if (r.status === 404) {
          closeConversationView();
          showGlobalError("That conversation could not be found.");
        } else if (r.status !== 401 && r.status !== 403) {
          ui.convError.textContent = r.error;
        }
        return false;
      }
      var firstLoad = first || !current.handoff;
      var conversationChanged = !current.conversation || !r.data.conversation || current.conversation.id !== r.data.conversation.id;
      current.handoff = r.data.handoff;
      current.conversation = r.data.conversation;
      current.draft = r.data.draft || {};
      current.resident = r.data.resident;
      current.open_cases = r.data.open_cases || [];
      current.fetchedAt = Date.now();
      if (current.conversation) {
        unread.delete(current.conversation.id);
      }
      renderHead();
      renderMessages(current.conversation ? current.conversation.messages : [], firstLoad);
      renderDetails();
      if (conversationChanged) {
        watch();
      }
      return true;
    });
  }

  function syncCurrentFromQueue() {
    if (!current || !current.handoff) {
      return;
    }
    var item = null;
    queue.forEach(function (q) {
      if (q.id === current.id) {
        item = q;
      }
    });
    if (item) {
      /* the conversation's own answer is the one that counts: ask it again when the queue differs */
      if (item.status !== current.handoff.status || item.claimed_by !== current.handoff.claimed_by) {
        refreshConversation(false);
      }
    } else if (current.handoff.status === "queued" || current.handoff.status === "claimed") {
      /* no longer open: ask how it ended */
      refreshConversation(false);
    }
  }

  function renderMeta() {
    var h = current.handoff;
    var waited = h.waiting_seconds + Math.floor((Date.now() - current.fetchedAt) / 1000);
    var parts = [reasonLabel(h.reason)];
    if (h.status === "queued") {
      parts.push("waiting " + duration(waited));
    } else if (h.status === "claimed") {
      parts.push("requested " + duration(waited) + " ago");
    }
    var textNow = parts.join(" · ");
    if (ui.convMeta.textContent !== textNow) {
      ui.convMeta.textContent = textNow;
    }
  }

  var ENDED = {
    handed_back: "Handed back to the assistant.",
    closed: "Closed.",
    cancelled: "Cancelled."
  };

  function renderHead() {
    var h = current.handoff;
    if (!h) {
      return;
    }
    ui.convTitle.textContent = (h.conversation_id ? "Conversation " + h.conversation_id : "Request " + h.id + " (no chat transcript)") + " · " + channelLabel(h.channel);
    renderMeta();
    flagList(h.flags, ui.convFlags);
    var holder;
    if (h.status === "queued") {
      holder = "Waiting for an agent. Claim it to reply.";
    } else if (h.status === "claimed") {
      holder = me && h.claimed_by === me.id ? "You have this conversation." : (h.claimed_by_name || "Another agent") + " has this conversation.";
      if (me && h.claimed_by !== me.id && me.role === "manager") {
        holder += " As a manager you can still act on it.";
      }
    } else {
      holder = ENDED[h.status] || "No longer open (" + h.status + ").";
    }
    ui.convHolder.textContent = holder;
    ui.convHolder.classList.toggle("holder--mine", h.status === "claimed" && me && h.claimed_by === me.id);
    ui.convHolder.classList.toggle("holder--other", h.status === "claimed" && me && h.claimed_by !== me.id);
    ui.claim.hidden = h.status !== "queued";
    var allowed = canAct();
    [ui.actComplaint, ui.actRequest, ui.actNote, ui.actTransfer, ui.actHandback, ui.actClose].forEach(function (b) { b.disabled = !allowed; });
    ui.reply.disabled = !allowed;
    ui.replySend.disabled = !allowed;
    ui.cannedList.querySelectorAll("button").forEach(function (b) { b.disabled = !allowed; });
    ui.replyHint.textContent = allowed
      ? "Press Enter to send. Press Shift and Enter for a new line."
      : h.status === "queued"
        ? "Claim this conversation to reply."
        : h.status === "claimed"
          ? "Only the agent who has this conversation can reply."
          : "This conversation is no longer with the contact centre.";
  }

  function renderMessages(messages, firstLoad) {
    if (firstLoad) {
      /* the whole history at once: not read out message by message */
      ui.transcript.setAttribute("aria-live", "off");
    }
    (messages || []).forEach(function (m) { addMessage(m, false); });
    if (firstLoad) {
      scrollTranscript(true);
      setTimeout(function () { ui.transcript.setAttribute("aria-live", "polite"); }, 300);
    }
  }

  function messageState(m) {
    if (m.direction === "note") {
      return null;
    }
    if (m.status === "suppressed") {
      return "Not sent: the conversation was with the contact centre.";
    }
    if (m.status === "failed") {
      return "Not delivered" + (m.error ? ": " + m.error : ".");
    }
    if (m.status === "retry") {
      return "Not delivered yet: trying again.";
    }
    if (m.direction === "in" && m.status === "for_agent") {
      return null;
    }
    return null;
  }

  function addMessage(m, live) {
    var id = Number(m.id);
    if (!Number.isInteger(id) || id <= 0) {
      return;
    }
    var existing = shown.get(id);
    if (existing) {
      updateState(existing, m);
      return;
    }
    var note = m.direction === "note";
    var sender = SENDERS[m.sender] ? m.sender : "system";
    var node = el("div", "msg " + (note ? "msg--note" : "msg--" + sender));
    node.dataset.id = String(id);
    node.dataset.sender = note ? "note" : sender;
    var meta = el("p", "msg-meta");
    var who = note ? "Internal note — not sent" : SENDERS[sender];
    if (sender === "agent" && typeof m.agent_name === "string" && m.agent_name) {
      who = note ? who + " (" + m.agent_name + ")" : m.agent_name + " (agent)";
    }
    meta.appendChild(el("span", "msg-who", who));
    var when = m.created_at ? clock(m.created_at) : null;
    if (when) {
      meta.appendChild(document.createTextNode(" "));
      var time = el("time", "msg-time", when.text);
      time.dateTime = when.iso;
      meta.appendChild(time);
    }
    node.appendChild(meta);
    node.appendChild(el("p", "msg-text", text(m.text)));
    var buttons = Array.isArray(m.buttons) ? m.buttons : [];
    var titles = buttons.map(function (b) { return b && typeof b.title === "string" ? b.title : ""; }).filter(Boolean);
    if (titles.length) {
      node.appendChild(el("p", "msg-buttons", "Buttons offered: " + titles.join(" / ")));
    }
    updateState(node, m);
    insertInOrder(node, id);
    shown.set(id, node);
    if (live) {
      scrollTranscript(false);
    }
  }

  function updateState(node, m) {
    if (!m || m.status === undefined) {
      return;
    }
    var state = messageState(m);
    var line = node.querySelector(".msg-state");
    if (!state) {
      if (line) {
        line.remove();
      }
      node.classList.remove("msg--undelivered");
      return;
    }
    if (!line) {
      line = el("p", "msg-state");
      node.appendChild(line);
    }
    line.textContent = state;
    node.classList.add("msg--undelivered");
  }

  function insertInOrder(node, id) {
    var before = null;
    for (var child = ui.transcript.lastElementChild; child; child = child.previousElementSibling) {
      if (Number(child.dataset.id) > id) {
        before = child;
      } else {
        break;
      }
    }
    ui.transcript.insertBefore(node, before);
  }

  var pinned = true; /* the transcript is scrolled to the newest message */
  var autoTop = -1; /* where this script last scrolled it to (its own scroll events are not the agent's) */

  function scrollTranscript(force) {
    var box = ui.transcriptScroller;
    if (force || pinned) {
      box.scrollTop = box.scrollHeight;
      autoTop = box.scrollTop;
      pinned = true;
    }
  }

  function onTranscriptScroll() {
    var box = ui.transcriptScroller;
    if (box.scrollTop === autoTop) {
      return;
    }
    autoTop = -1;
    pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
  }

  /* -- the details beside the conversation --------------------------------------------------------- */

  function dl(rows) {
    var list = el("dl", "facts");
    rows.forEach(function (row) {
      var value = row[1];
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
        return;
      }
      var wrap = el("div", "fact" + (row[2] ? " " + row[2] : ""));
      wrap.appendChild(el("dt", null, row[0]));
      var dd = el("dd");
      if (Array.isArray(value)) {
        var ul = el("ul");
        value.forEach(function (v) { ul.appendChild(el("li", null, text(v))); });
        dd.appendChild(ul);
      } else {
        dd.textContent = typeof value === "boolean" ? (value ? "Yes" : "No") : text(value);
      }
      wrap.appendChild(dd);
      list.appendChild(wrap);
    });
    return list;
  }

  var DRAFT_ROWS = [
    ["adjustments_text", "Adjustments asked for", "fact--key"],
    ["needs_text", "Needs they told us about", "fact--key"],
    ["acting_for", "Who is writing", null],
    ["rep_name", "Representative's name", null],
    ["rep_relationship", "Representative's relationship", null],
    ["resident_name", "Resident's name", null],
    ["contact", "Contact", null],
    ["postcode", "Postcode", null],
    ["complaint_points", "What went wrong", null],
    ["outcome_wanted", "Outcome wanted", null],
    ["when_happened", "When it happened", null],
    ["earlier_reports", "Reported before", null],
    ["impact", "Impact", null],
    ["legal_status", "Legal action or injury", null],
    ["linked_sr_ref", "Linked repair", null],
    ["last_reference", "Reference given by the assistant", null],
    ["sr_kind", "Request type", null],
    ["sr_description", "Repair: what", null],
    ["sr_location", "Repair: where", null],
    ["sr_since", "Repair: since when", null],
    ["sr_access", "Repair: access", null]
  ];

  function renderDetails() {
    /* the resident's record: adjustments and needs first */
    var record = $("record");
    record.textContent = "";
    var r = current.resident;
    if (!r) {
      record.appendChild(el("p", "muted", "Not linked to a resident's record yet. Creating a complaint or request links this conversation to one."));
    } else {
      var adjustments = (r.adjustments || []).map(function (a) {
        var label = adjustmentLabel(a.type) + (a.detail ? ": " + a.detail : "") + (a.agreed ? " (agreed)" : "") + (a.due_for_review ? " (due for review)" : "");
        return label;
      });
      var reps = (r.representatives || []).map(function (p) {
        return p.name + " (" + p.relationship.replace(/_/g, " ") + ", authority " + p.authority_status + ")";
      });
      record.appendChild(
        dl([
          ["Reasonable adjustments", adjustments.length ? adjustments : "None recorded", "fact--key"],
          ["Needs they told us about", r.disclosed_needs && r.disclosed_needs.length ? r.disclosed_needs : null, "fact--key"],
          ["Name", r.name],
          ["Representatives", reps],
          ["Address", r.address],
          ["Postcode", r.postcode],
          ["Tenancy", r.tenancy_ref],
          ["Email", r.email],
          ["Phone", r.phone],
          ["Prefers contact by", r.preferred_contact_method ? channelLabel(r.preferred_contact_method) : null],
          ["Contact times", r.contact_times]
        ])
      );
    }

    var draft = $("draft");
    draft.textContent = "";
    var d = current.draft || {};
    var rows = [];
    var used = new Set();
    DRAFT_ROWS.forEach(function (row) {
      used.add(row[0]);
      var value = d[row[0]];
      if (row[0] === "acting_for" && value) {
        value = value === "representative" ? "A representative, for the resident" : value === "resident" || value === "self" ? "The resident" : value;
      }
      if (row[0] === "rep_relationship" && value) {
        value = text(value).replace(/_/g, " ");
      }
      rows.push([row[1], value, row[2]]);
    });
    Object.keys(d).forEach(function (key) {
      if (!used.has(key)) {
        rows.push([key.replace(/_/g, " "), d[key], null]);
      }
    });
    var facts = dl(rows);
    draft.appendChild(facts.children.length ? facts : el("p", "muted", "The assistant had not captured any details."));

    var cases = $("cases");
    cases.textContent = "";
    var list = current.open_cases || [];
    if (!list.length) {
      cases.appendChild(el("p", "muted", "None."));
    } else {
      var ul = el("ul", "cases");
      list.forEach(function (c) {
        var li = el("li", "case");
        li.appendChild(el("strong", "case-ref", c.reference));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "case-kind", (c.kind === "complaint" ? "Complaint" : "Service request") + ", " + text(c.status).replace(/_/g, " ")));
        li.appendChild(el("span", "case-summary", c.summary));
        ul.appendChild(li);
      });
      cases.appendChild(ul);
    }
  }

  function adjustmentLabel(type) {
    for (var i = 0; i < ADJUSTMENTS.length; i++) {
      if (ADJUSTMENTS[i][0] === type) {
        return ADJUSTMENTS[i][1];
      }
    }
    return text(type).replace(/_/g, " ");
  }

  /* -- claiming and replying ----------------------------------------------------------------------- */

  function claimHandoff(handoffId, button) {
    if (button) {
      button.disabled = true;
    }
    return api("POST", "/api/v1/agent/handoffs/" + handoffId + "/claim").then(function (r) {
      if (button) {
        button.disabled = false;
      }
      return openConversation(handoffId, false).then(function () {
        if (r.ok) {
          ui.convError.textContent = "";
          if (current && current.id === handoffId) {
            current.handoff = r.data;
            current.fetchedAt = Date.now();
            renderHead();
          }
          announce("You have claimed this conversation.");
          ui.reply.focus();
        } else if (r.status !== 401 && r.status !== 403) {
          ui.convError.textContent = r.error;
          ui.convTitle.focus();
        }
        refreshQueue();
      });
    });
  }

  function sendReply() {
    var value = ui.reply.value.trim();
    if (!current || !canAct() || sending) {
      return;
    }
    if (!value) {
      ui.replyError.textContent = "Type a reply before sending.";
      ui.reply.focus();
      return;
    }
    if (value.length > 2000) {
      ui.replyError.textContent = "That reply is too long: keep it under 2,000 characters, or send it in parts.";
      return;
    }
    sending = true;
    ui.replySend.disabled = true;
    ui.replyError.textContent = "";
    var id = current.id;
    api("POST", "/api/v1/agent/handoffs/" + id + "/messages", { text: value }).then(function (r) {
      sending = false;
      ui.replySend.disabled = !canAct();
      if (!current || current.id !== id) {
        return;
      }
      if (r.ok) {
        if (ui.reply.value.trim() === value) {
          ui.reply.value = "";
        }
        addMessage(r.data, true);
        scrollTranscript(true);
      } else if (r.status !== 401 && r.status !== 403) {
        ui.replyError.textContent = "Not sent: " + r.error;
        if (r.status === 409) {
          refreshConversation(false);
        }
      }
      ui.reply.focus();
    });
  }

  function loadCanned() {
    api("GET", "/api/v1/agent/canned").then(function (r) {
      if (!r.ok || !Array.isArray(r.data)) {
        return;
      }
      canned = r.data;
      ui.cannedList.textContent = "";
      canned.forEach(function (c) {
        var b = el("button", "button button--small button--secondary", c.title);
        b.type = "button";
        b.disabled = !canAct();
        b.addEventListener("click", function () { insertCanned(c); });
        ui.cannedList.appendChild(b);
      });
    });
  }

  function insertCanned(c) {
    var box = ui.reply;
    var start = typeof box.selectionStart === "number" ? box.selectionStart : box.value.length;
    var end = typeof box.selectionEnd === "number" ? box.selectionEnd : box.value.length;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    var insert = text(c.text);
    if (before && !/\s$/.test(before)) {
      insert = " " + insert;
    }
    box.value = before + insert + after;
    $("canned").open = false;
    box.focus();
    var at = (before + insert).length;
    box.setSelectionRange(at, at);
    ui.replyError.textContent = "";
    announce("Inserted “" + c.title + "” into the reply box. Edit it if you need to, then press Enter to send.");
  }

  /* -- dialogs ------------------------------------------------------------------------------------- */

  function openDialog(dialog, first) {
    returnFocus = document.activeElement;
    dialog.querySelectorAll(".error-box").forEach(function (b) { b.textContent = ""; });
    dialog.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
    if (typeof dialog.showModal === "function") {
      dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
    if (first) {
      first.focus();
    }
  }

  function closeDialog(dialog) {
    if (dialog.open) {
      dialog.close();
    }
  }

  function dialogClosed() {
    var target = returnFocus;
    returnFocus = null;
    if (target && target.isConnected && !target.disabled) {
      target.focus();
    } else if (!ui.conv.hidden) {
      ui.convTitle.focus();
    }
  }

  function showFormErrors(box, problems) {
    box.textContent = "";
    if (!problems.length) {
      return;
    }
    box.appendChild(el("p", "error-title", problems.length === 1 ? "There is a problem" : "There are " + problems.length + " problems"));
    var ul = el("ul");
    problems.forEach(function (p) {
      var li = el("li");
      if (p.field) {
        var a = el("a", null, p.text);
        a.href = "#" + p.field.id;
        a.addEventListener("click", function (event) {
          event.preventDefault();
          p.field.focus();
        });
        li.appendChild(a);
        p.field.setAttribute("aria-invalid", "true");
      } else {
        li.textContent = p.text;
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    box.focus();
  }

  function withBusy(form, promise) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    return promise.then(function (result) {
      buttons.forEach(function (b) { b.disabled = false; });
      return result;
    });
  }

  /* complaint --------------------------------------------------------------------------------------- */

  function legalFrom(answer) {
    var t = text(answer).toLowerCase();
    var injury = /injur|hurt|accident|hospital/.test(t);
    if (/\b(not|no)\b.*\b(claim|court|legal)/.test(t) || /^\s*(no|none|nope|n)\W*$/.test(t)) {
      return ["none", injury];
    }
    if (/filed|issued|court claim|in court|claim form|court case/.test(t)) {
      return ["filed", injury];
    }
    if (/solicitor|letter of claim|pre[- ]action|lawyer/.test(t)) {
      return ["pre_action", injury];
    }
    return [injury ? "none" : "unknown", injury];
  }

  function contactFrom(answer) {
    var t = text(answer).trim();
    var out = {};
    if (/\b(here|this chat|on here|this number|this app)\b/i.test(t)) {
      out.here = true;
    }
    var m = EMAIL.exec(t);
    if (m) {
      out.email = m[0];
    }
    var p = PHONE.exec(t);
    if (p && p[1].replace(/\D/g, "").length >= 10) {
      out.phone = p[1].replace(/[^\d+]/g, "");
    }
    return out;
  }

  function buildAdjustmentChecks() {
    var box = $("c-adjustments");
    box.textContent = "";
    ADJUSTMENTS.forEach(function (a) {
      var wrap = el("div", "check");
      var input = el("input");
      input.type = "checkbox";
      input.id = "c-adj-" + a[0];
      input.value = a[0];
      var label = el("label", null, a[1]);
      label.htmlFor = input.id;
      wrap.appendChild(input);
      wrap.appendChild(label);
      box.appendChild(wrap);
    });
  }

  function fillComplaint() {
    var d = current.draft || {};
    var channel = current.handoff.channel;
    var rep = d.acting_for === "representative";
    var contact = contactFrom(d.contact);
    $("c-channel-label").textContent = channelLabel(channel);
    $("c-name").value = text(d.resident_name || (current.resident && current.resident.name));
    $("c-postcode").value = text(d.postcode || (current.resident && current.resident.postcode));
    $("c-email").value = rep ? "" : text(contact.email || (current.resident && current.resident.email));
    $("c-phone").value = rep ? "" : text(contact.phone || (current.resident && current.resident.phone));
    var preferred = $("c-preferred");
    preferred.textContent = "";
    [["", "Not said"], [channel, "This conversation (" + channelLabel(channel) + ")"], ["email", "Email"], ["phone", "Phone"], ["sms", "Text message"], ["letter", "Letter"]].forEach(function (o, i, all) {
      if (i > 1 && o[0] === channel) {
        return;
      }
      if (all.slice(0, i).some(function (p) { return p[0] === o[0]; })) {
        return;
      }
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      preferred.appendChild(opt);
    });
    preferred.value = rep ? "" : contact.here ? channel : contact.email ? "email" : contact.phone ? "phone" : "";
    $("c-has-rep").checked = rep;
    $("c-rep-fields").hidden = !rep;
    $("c-rep-name").value = text(d.rep_name);
    $("c-rep-relationship").value = d.rep_relationship && $("c-rep-relationship").querySelector("option[value='" + String(d.rep_relationship).replace(/[^a-z_]/g, "") + "']") ? d.rep_relationship : "other";
    $("c-rep-contact").value = rep ? text(contact.email || contact.phone || (contact.here ? "this " + channelLabel(channel).toLowerCase() + " conversation" : d.contact || "")) : "";
    $("c-points").value = (Array.isArray(d.complaint_points) ? d.complaint_points : lines(d.complaint_points)).join("\n");
    $("c-outcomes").value = text(d.outcome_wanted);
    $("c-confirmed").checked = false;
    $("c-when").value = text(d.when_happened);
    $("c-earlier").value = d.earlier_reports && !SKIP.test(d.earlier_reports) ? text(d.earlier_reports) : "";
    $("c-impact").value = text(d.impact);
    var legal = legalFrom(d.legal_status);
    $("c-legal").value = d.legal_status ? legal[0] : "unknown";
    $("c-injury").checked = Boolean(d.legal_status) && legal[1];
    $("c-linked").value = text(d.linked_sr_ref);
    var said = text(d.adjustments_text).trim();
    var none = !said || SKIP.test(said);
    $("c-adj-text").textContent = !said ? "the assistant had not asked yet." : none ? "no adjustments (“" + said + "”)." : "“" + said + "”";
    var matched = false;
    ADJUSTMENTS.forEach(function (a) {
      var on = !none && a[2] !== null && a[2].test(said);
      matched = matched || on;
      $("c-adj-" + a[0]).checked = on;
    });
    $("c-adj-other").checked = !none && !matched;
    $("c-adj-detail").value = none ? "" : said;
    var needs = text(d.needs_text).trim();
    $("c-needs").value = needs && !SKIP.test(needs) ? needs : "";
    $("c-consent").checked = Boolean(needs && !SKIP.test(needs)); /* the draft only has needs the resident agreed to record */
  }

  function optional(value) {
    var v = text(value).trim();
    return v ? v : null;
  }

  function submitComplaint(event) {
    event.preventDefault();
    var form = ui.complaintForm;
    var problems = [];
    var name = $("c-name").value.trim();
    var postcode = $("c-postcode").value.trim();
    var email = $("c-email").value.trim();
    var phone = $("c-phone").value.trim();
    var points = lines($("c-points").value);
    var outcomes = lines($("c-outcomes").value);
    var hasRep = $("c-has-rep").checked;
    var repName = $("c-rep-name").value.trim();
    form.querySelectorAll("[aria-invalid]").forEach(function (f) { f.removeAttribute("aria-invalid"); });
    if (!name) {
      problems.push({ field: $("c-name"), text: "Enter the resident's full name." });
    }
    if (postcode && !POSTCODE.test(postcode)) {
      problems.push({ field: $("c-postcode"), text: "Enter a full UK postcode, like LS6 2AB, or leave it empty." });
    }
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      problems.push({ field: $("c-email"), text: "Enter an email address like name@example.org, or leave it empty." });
    }
    if (phone && !/^\+?[0-9 ()-]{6,40}$/.test(phone)) {
      problems.push({ field: $("c-phone"), text: "Enter a phone number using digits, or leave it empty." });
    }
    if (hasRep && !repName) {
      problems.push({ field: $("c-rep-name"), text: "Enter the representative's name." });
    }
    if (!points.length) {
      problems.push({ field: $("c-points"), text: "Enter what went wrong, one point per line." });
    }
    var adjustments = [];
    var detail = $("c-adj-detail").value.trim().slice(0, 2000);
    ADJUSTMENTS.forEach(function (a) {
      if ($("c-adj-" + a[0]).checked) {
        adjustments.push({ type: a[0], detail: detail });
      }
    });
    if ($("c-adj-other").checked && !detail) {
      problems.push({ field: $("c-adj-detail"), text: "Describe the other adjustment." });
    }
    var needs = $("c-needs").value.trim();
    var consent = $("c-consent").checked;
    if (needs && !consent) {
      problems.push({ field: $("c-consent"), text: "Needs are recorded only with the resident's agreement: tick the box, or clear the needs." });
    }
    if (problems.length) {
      showFormErrors($("c-error"), problems);
      return;
    }
    var resident = { name: name, adjustments: adjustments };
    if (postcode) {
      resident.postcode = postcode.toUpperCase();
    }
    if (email) {
      resident.email = email;
    }
    if (phone) {
      resident.phone = phone;
    }
    if ($("c-preferred").value) {
      resident.preferred_contact_method = $("c-preferred").value;
    }
    if (needs && consent) {
      resident.disclosed_needs = [needs];
      resident.consent_to_record_needs = true;
    }
    var body = {
      channel: current.handoff.channel,
      resident: resident,
      definition: { points: points, outcomes: outcomes, confirmed_by_resident: $("c-confirmed").checked },
      when_described: optional($("c-when").value),
      impact: optional($("c-impact").value),
      earlier_reports: optional($("c-earlier").value),
      legal_proceedings: $("c-legal").value,
      personal_injury: $("c-injury").checked
    };
    if (hasRep) {
      body.representative = { name: repName, relationship: $("c-rep-relationship").value, contact: optional($("c-rep-contact").value) };
    }
    var linked = $("c-linked").value.trim();
    if (linked) {
      body.service_request_refs = [linked.toUpperCase()];
    }
    var id = current.id;
    withBusy(form, api("POST", "/api/v1/agent/handoffs/" + id + "/complaint", body)).then(function (r) {
      if (!r.ok) {
        showFormErrors($("c-error"), [{ text: "The complaint was not created: " + r.error }]);
        return;
      }
      closeDialog(ui.complaintDialog);
      done("Complaint created. Reference " + r.data.reference + ". The resident has been told the reference.");
      if (current && current.id === id) {
        refreshConversation(false);
      }
    });
  }

  /* service request --------------------------------------------------------------------------------- */

  function fillRequest() {
    var d = current.draft || {};
    var channel = current.handoff.channel;
    $("r-channel-label").textContent = channelLabel(channel);
    var select = $("r-code");
    if (!select.children.length) {
      SERVICE_CODES.forEach(function (s) {
        var opt = el("option", null, s[1]);
        opt.value = s[0];
        select.appendChild(opt);
      });
    }
    var description = text(d.sr_description);
    var code = "repairs_general";
    if (d.sr_kind === "asb") {
      code = "asb_report";
    } else {
      for (var i = 0; i < SERVICE_CODES.length; i++) {
        if (SERVICE_CODES[i][2] && SERVICE_CODES[i][2].test(description)) {
          code = SERVICE_CODES[i][0];
          break;
        }
      }
    }
    select.value = code;
    $("r-description").value = description;
    $("r-location").value = text(d.sr_location);
    $("r-postcode").value = text(d.postcode || (current.resident && current.resident.postcode));
    $("r-since").value = text(d.sr_since);
    $("r-access").value = d.sr_access && !SKIP.test(d.sr_access) ? text(d.sr_access) : "";
    $("r-name").value = text(d.resident_name || (current.resident && current.resident.name));
  }

  function submitRequest(event) {
    event.preventDefault();
    var form = ui.requestForm;
    var problems = [];
    var description = $("r-description").value.trim();
    var postcode = $("r-postcode").value.trim();
    if (!description) {
      problems.push({ field: $("r-description"), text: "Describe what needs doing." });
    }
    if (postcode && !POSTCODE.test(postcode)) {
      problems.push({ field: $("r-postcode"), text: "Enter a full UK postcode, like LS6 2AB, or leave it empty." });
    }
    if (problems.length) {
      showFormErrors($("r-error"), problems);
      return;
    }
    var body = {
      channel: current.handoff.channel,
      service_code: $("r-code").value,
      description: description,
      location: optional($("r-location").value),
      postcode: postcode ? postcode.toUpperCase() : null,
      access_notes: optional($("r-access").value),
      problem_since: optional($("r-since").value)
    };
    var name = $("r-name").value.trim();
    if (name) {
      body.resident = { name: name };
      if (postcode) {
        body.resident.postcode = postcode.toUpperCase();
      }
    }
    var id = current.id;
    withBusy(form, api("POST", "/api/v1/agent/handoffs/" + id + "/service-request", body)).then(function (r) {
      if (!r.ok) {
        showFormErrors($("r-error"), [{ text: "The request was not created: " + r.error }]);
        return;
      }
      closeDialog(ui.requestDialog);
      done("Service request created. Reference " + r.data.service_request_id + ". The resident has been told the reference.");
      if (current && current.id === id) {
        refreshConversation(false);
      }
    });
  }

  /* note, transfer, hand back, close ------------------------------------------------------------------ */

  function submitNote(event) {
    event.preventDefault();
    var value = $("n-text").value.trim();
    if (!value) {
      showFormErrors($("n-error"), [{ field: $("n-text"), text: "Write the note first." }]);
      return;
    }
    var id = current.id;
    withBusy(ui.noteForm, api("POST", "/api/v1/agent/handoffs/" + id + "/notes", { text: value })).then(function (r) {
      if (!r.ok) {
        showFormErrors($("n-error"), [{ text: "The note was not added: " + r.error }]);
        return;
      }
      closeDialog(ui.noteDialog);
      if (current && current.id === id) {
        addMessage(r.data, true);
        scrollTranscript(true);
      }
      done("Internal note added. It was not sent to the resident.");
    });
  }

  function openTransfer() {
    var select = $("t-colleague");
    select.textContent = "";
    select.appendChild(el("option", null, "Loading colleagues…"));
    openDialog(ui.transferDialog, select);
    api("GET", "/api/v1/agent/colleagues").then(function (r) {
      select.textContent = "";
      if (!r.ok || !Array.isArray(r.data)) {
        showFormErrors($("t-error"), [{ text: r.error || "Colleagues could not be loaded." }]);
        return;
      }
      if (!r.data.length) {
        select.appendChild(el("option", null, "No colleagues to transfer to"));
        select.firstChild.value = "";
        return;
      }
      var placeholder = el("option", null, "Choose a colleague");
      placeholder.value = "";
      select.appendChild(placeholder);
      r.data.forEach(function (c) {
        var opt = el("option", null, c.name + (c.role === "manager" ? " (manager)" : ""));
        opt.value = String(c.id);
        select.appendChild(opt);
      });
    });
  }

  function submitTransfer(event) {
    event.preventDefault();
    var select = $("t-colleague");
    var to = Number(select.value);
    if (!Number.isInteger(to) || to <= 0) {
      showFormErrors($("t-error"), [{ field: select, text: "Choose a colleague." }]);
      return;
    }
    var name = select.options[select.selectedIndex].textContent;
    var id = current.id;
    withBusy(ui.transferForm, api("POST", "/api/v1/agent/handoffs/" + id + "/transfer", { agent_id: to })).then(function (r) {
      if (!r.ok) {
        showFormErrors($("t-error"), [{ text: "Not transferred: " + r.error }]);
        return;
      }
      closeDialog(ui.transferDialog);
      if (current && current.id === id) {
        current.handoff = r.data;
        current.fetchedAt = Date.now();
        renderHead();
      }
      done("Transferred to " + name + ".");
      refreshQueue();
    });
  }

  function submitHandback(event) {
    event.preventDefault();
    var summary = $("h-summary").value.trim();
    var id = current.id;
    withBusy(ui.handbackForm, api("POST", "/api/v1/agent/handoffs/" + id + "/hand-back", { summary: summary || null })).then(function (r) {
      if (!r.ok) {
        showFormErrors($("h-error"), [{ text: "Not handed back: " + r.error }]);
        return;
      }
      closeDialog(ui.handbackDialog);
      if (current && current.id === id) {
        current.handoff = r.data;
        current.fetchedAt = Date.now();
        renderHead();
      }
      done("Handed back to the assistant. It has told the resident.");
      refreshQueue();
    });
  }

  function submitClose(event) {
    event.preventDefault();
    var outcome = $("x-outcome").value.trim();
    if (!outcome) {
      showFormErrors($("x-error"), [{ field: $("x-outcome"), text: "Enter the outcome before closing." }]);
      return;
    }
    var id = current.id;
    withBusy(ui.closeForm, api("POST", "/api/v1/agent/handoffs/" + id + "/close", { outcome: outcome })).then(function (r) {
      if (!r.ok) {
        showFormErrors($("x-error"), [{ text: "Not closed: " + r.error }]);
        return;
      }
      closeDialog(ui.closeDialog);
      if (current && current.id === id) {
        current.handoff = r.data;
        current.fetchedAt = Date.now();
        renderHead();
      }
      done("Conversation closed. The resident has been told.");
      refreshQueue();
    });
  }

  function done(message) {
    ui.convNotice.textContent = message;
    ui.convError.textContent = "";
  }

  function showGlobalError(message) {
    ui.globalError.textContent = message;
  }

  /* -- start-up ------------------------------------------------------------------------------------ */

  function init() {
    ui.main = $("main");
    ui.loginView = $("login-view");
    ui.loginForm = $("login-form");
    ui.loginError = $("login-error");
    ui.loginEmail = $("login-email");
    ui.loginPassword = $("login-password");
    ui.loginSubmit = $("login-submit");
    ui.consoleView = $("console-view");
    ui.userBar = $("user-bar");
    ui.userName = $("user-name");
    ui.connection = $("connection");
    ui.logout = $("logout");
    ui.globalError = $("global-error");
    ui.queueList = $("queue-list");
    ui.queueEmpty = $("queue-empty");
    ui.queueCount = $("queue-count");
    ui.queueMode = $("queue-mode");
    ui.convPlaceholder = $("conv-placeholder");
    ui.conv = $("conv");
    ui.details = $("details");
    ui.convTitle = $("conv-title");
    ui.convMeta = $("conv-meta");
    ui.convFlags = $("conv-flags");
    ui.convHolder = $("conv-holder");
    ui.convError = $("conv-error");
    ui.convNotice = $("conv-notice");
    ui.claim = $("claim");
    ui.transcriptScroller = $("transcript-scroller");
    ui.transcript = $("transcript");
    ui.typing = $("typing");
    ui.replyForm = $("reply-form");
    ui.reply = $("reply");
    ui.replySend = $("reply-send");
    ui.replyError = $("reply-error");
    ui.replyHint = $("reply-hint");
    ui.cannedList = $("canned-list");
    ui.actComplaint = $("act-complaint");
    ui.actRequest = $("act-request");
    ui.actNote = $("act-note");
    ui.actTransfer = $("act-transfer");
    ui.actHandback = $("act-handback");
    ui.actClose = $("act-close");
    ui.complaintDialog = $("complaint-dialog");
    ui.complaintForm = $("complaint-form");
    ui.requestDialog = $("request-dialog");
    ui.requestForm = $("request-form");
    ui.noteDialog = $("note-dialog");
    ui.noteForm = $("note-form");
    ui.transferDialog = $("transfer-dialog");
    ui.transferForm = $("transfer-form");
    ui.handbackDialog = $("handback-dialog");
    ui.handbackForm = $("handback-form");
    ui.closeDialog = $("close-dialog");
    ui.closeForm = $("close-form");

    buildAdjustmentChecks();
    ui.loginForm.addEventListener("submit", onLogin);
    ui.logout.addEventListener("click", onLogout);
    ui.claim.addEventListener("click", function () {
      if (current) {
        claimHandoff(current.id, ui.claim);
      }
    });
    ui.replyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      sendReply();
    });
    ui.reply.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
        event.preventDefault();
        sendReply();
      }
    });
    ui.reply.addEventListener("input", function () {
      if (ui.replyError.textContent) {
        ui.replyError.textContent = "";
      }
    });

    ui.actComplaint.addEventListener("click", function () {
      fillComplaint();
      openDialog(ui.complaintDialog, $("c-name"));
    });
    ui.actRequest.addEventListener("click", function () {
      fillRequest();
      openDialog(ui.requestDialog, $("r-code"));
    });
    ui.actNote.addEventListener("click", function () {
      $("n-text").value = "";
      openDialog(ui.noteDialog, $("n-text"));
    });
    ui.actTransfer.addEventListener("click", openTransfer);
    ui.actHandback.addEventListener("click", function () {
      $("h-summary").value = "";
      openDialog(ui.handbackDialog, $("h-summary"));
    });
    ui.actClose.addEventListener("click", function () {
      $("x-outcome").value = "";
      openDialog(ui.closeDialog, $("x-outcome"));
    });
    $("c-has-rep").addEventListener("change", function () {
      $("c-rep-fields").hidden = !$("c-has-rep").checked;
    });
    ui.complaintForm.addEventListener("submit", submitComplaint);
    ui.requestForm.addEventListener("submit", submitRequest);
    ui.noteForm.addEventListener("submit", submitNote);
    ui.transferForm.addEventListener("submit", submitTransfer);
    ui.handbackForm.addEventListener("submit", submitHandback);
    ui.closeForm.addEventListener("submit", submitClose);
    document.querySelectorAll("dialog").forEach(function (dialog) {
      dialog.addEventListener("close", dialogClosed);
      dialog.querySelectorAll("[data-close]").forEach(function (b) {
        b.addEventListener("click", function () { closeDialog(dialog); });
      });
    });

    ui.transcriptScroller.addEventListener("scroll", onTranscriptScroll, { passive: true });
    if (typeof ResizeObserver === "function") {
      /* notices and the composer change the transcript's height: keep the newest message in view */
      new ResizeObserver(function () { scrollTranscript(false); }).observe(ui.transcriptScroller);
    }
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        reconnectNow();
      }
    });
    setInterval(tick, 1000);

    if (token) {
      start();
    } else {
      showLogin("");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
