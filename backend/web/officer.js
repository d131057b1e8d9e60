/* The complaints officer's dashboard. Everything comes from the case API after login.
 *
 * - The login token is kept in sessionStorage under "staff_token" (with "staff_role" and "staff_name"),
 *   shared with the reports page, so a manager moves between /officer and /reports without signing in
 *   again. A 401 sends the officer back to the login form; an agent is pointed to the agent console.
 * - Views live in the address's hash (#/queue?rag=red, #/requests, #/case/CMP-2026-000001), so the
 *   browser's back button, bookmarks and reloads work.
 * - Every command goes to the API, which applies the Code's rules; a refusal (422/409 with "detail") is
 *   shown beside the form that caused it, and the form keeps what the officer typed.
 * - Everything people wrote goes in with textContent, never as HTML. A letter's HTML from the server is
 *   parsed inert (DOMParser) and rebuilt from a short list of elements, text only.
 */
(function () {
  "use strict";

  var KEY_TOKEN = "staff_token";
  var KEY_ROLE = "staff_role";
  var KEY_NAME = "staff_name";
  var PAGE_SIZE = 25;
  var COUNTS_EVERY_MS = 60000;
  var REQUEST_TIMEOUT_MS = 20000;
  var ROLES = ["officer", "manager"];

  var STATUSES = [
    ["received", "New: to acknowledge or decline"],
    ["stage1_acknowledged", "Stage 1: acknowledged, response due"],
    ["stage1_responded", "Stage 1: responded"],
    ["stage2_requested", "Stage 2: requested, to acknowledge"],
    ["stage2_acknowledged", "Stage 2: acknowledged, response due"],
    ["stage2_responded", "Stage 2: final response sent"],
    ["closed", "Closed"],
    ["declined", "Declined"],
    ["withdrawn", "Withdrawn"]
  ];
  var CHANNELS = {
    webchat: "Web chat",
    sms: "SMS",
    whatsapp: "WhatsApp",
    telegram: "Telegram",
    phone: "Phone",
    email: "Email",
    letter: "Letter",
    in_person: "In person",
    post: "Post"
  };
  var ADJUSTMENTS = {
    large_print: "Large print",
    audio: "Audio",
    braille: "Braille",
    bsl: "British Sign Language (BSL)",
    interpreter: "Interpreter",
    easy_read: "Easy read",
    text_only: "Text only (no phone calls)",
    contact_times: "Contact only at certain times",
    extra_time: "More time",
    advocate: "An advocate",
    needs_person: "Needs to talk to a person",
    other: "Other"
  };
  var RELATIONSHIPS = {
    family: "Family member",
    friend: "Friend",
    advocate: "Advocate",
    support_worker: "Support worker",
    mp: "MP",
    councillor: "Councillor",
    solicitor: "Solicitor",
    other: "Other"
  };
  var AUTHORITY = { pending: "Not confirmed yet", confirmed: "Confirmed", refused: "Refused" };
  var REMEDIES = {
    apology: "Apology",
    explanation: "Explanation",
    repair: "Repair",
    financial: "Financial remedy",
    reconsider_decision: "Reconsider a decision",
    amend_records: "Amend records",
    policy_change: "Change a policy or procedure",
    other: "Other"
  };
  var DECISIONS = [
    ["upheld", "Upheld"],
    ["partly_upheld", "Partly upheld"],
    ["not_upheld", "Not upheld"]
  ];
  var LEGAL = {
    none: "No legal action",
    pre_action: "A solicitor's letter or pre-action stage",
    filed: "A court claim has been filed",
    unknown: "Not known"
  };
  var GROUNDS = {
    over_twelve_months: "Raised more than 12 months after the issue",
    legal_proceedings: "Legal proceedings filed",
    previously_considered: "Already considered",
    other: "Another reason"
  };
  var LETTER_KINDS = {
    stage1_acknowledgement: "Stage 1 acknowledgement",
    stage2_acknowledgement: "Stage 2 acknowledgement",
    stage1_extension: "Stage 1 extension notice",
    stage2_extension: "Stage 2 extension notice",
    stage1_decline: "Decision not to accept the complaint",
    stage2_decline: "Decision not to escalate to stage 2",
    stage1_response: "Stage 1 response",
    stage2_response: "Stage 2 final response",
    action_update: "Update on an action"
  };
  var DELIVERY = { prepared: "Not sent yet", sent: "Sent", to_post: "Marked for post", to_email: "Marked for email" };
  var RAG = {
    red: ["red", "Overdue"],
    overdue: ["red", "Overdue"],
    amber: ["amber", "Due soon"],
    due_soon: ["amber", "Due soon"],
    green: ["green", "On track"],
    on_track: ["green", "On track"],
    none: ["none", "Nothing due"]
  };
  var OPEN_STATUSES = ["received", "stage1_acknowledged", "stage1_responded", "stage2_requested", "stage2_acknowledged", "stage2_responded"];
  var FILTERS = ["q", "stage", "status", "rag", "handler_id", "category", "channel", "needs", "representative", "region"];
  /* pydantic's words for a bad field, in plain English */
  var FIELD_MESSAGES = [
    [/^Field required$/i, "is required"],
    [/^List should have at least 1 item.*/i, "needs at least one line"],
    [/^String should have at least 1 character.*/i, "cannot be empty"],
    [/^Input should be a valid date.*/i, "needs a date"],
    [/^Input should be a valid integer.*/i, "needs a whole number"],
    [/^Input should be .*$/i, null]
  ];

  /* -- small helpers ------------------------------------------------------------------------------- */

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null) {
      node.textContent = String(content);
    }
    return node;
  }

  function button(label, className, onClick) {
    var b = el("button", "button " + (className || ""), label);
    b.type = "button";
    if (onClick) {
      b.addEventListener("click", onClick);
    }
    return b;
  }

  function text(value) {
    return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
  }

  function lines(value) {
    return text(value)
      .split(/\r?\n/)
      .map(function (l) { return l.replace(/^\s*[-•*]\s+/, "").trim(); })
      .filter(Boolean);
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

  function parseDay(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text(iso));
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  }

  function day(iso) {
    var d = parseDay(iso);
    return d ? d.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric" }) : text(iso);
  }

  function moment(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) {
      return text(iso);
    }
    return d.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function timeEl(iso, withTime) {
    var t = el("time", null, withTime ? moment(iso) : day(iso));
    t.dateTime = text(iso);
    return t;
  }

  function pounds(pence) {
    return "£" + (pence / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function label(map, key) {
    return (key && map[key]) || text(key).replace(/_/g, " ");
  }

  function statusLabel(status) {
    var found = STATUSES.filter(function (s) { return s[0] === status; })[0];
    return found ? found[1] : text(status).replace(/_/g, " ");
  }

  function sentence(value) {
    var s = text(value).trim();
    if (!s) {
      return s;
    }
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.!?)]$/.test(s) ? s : s + ".";
  }

  function announce(message) {
    var node = $("announcer");
    node.textContent = "";
    setTimeout(function () { node.textContent = message; }, 50);
  }

  function daysText(n, status) {
    if (n === null || n === undefined) {
      return status && OPEN_STATUSES.indexOf(status) >= 0 ? "No response due now" : "";
    }
    if (n < 0) {
      return -n + (n === -1 ? " working day" : " working days") + " overdue";
    }
    if (n === 0) {
      return "Due today";
    }
    return n + (n === 1 ? " working day" : " working days") + " left";
  }

  function ragBadge(rag) {
    var r = RAG[rag] || RAG.none;
    return el("span", "rag rag--" + r[0], r[1]);
  }

  function flag(textValue, kind) {
    return el("li", "flag flag--" + kind, textValue);
  }

  function factList(rows) {
    var dl = el("dl", "facts");
    rows.forEach(function (row) {
      if (!row) {
        return;
      }
      var value = row[1];
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
        return;
      }
      var wrap = el("div", "fact" + (row[2] ? " fact--" + row[2] : ""));
      wrap.appendChild(el("dt", null, row[0]));
      var dd = el("dd");
      if (Array.isArray(value)) {
        var ul = el("ul");
        value.forEach(function (v) { ul.appendChild(el("li", null, v)); });
        dd.appendChild(ul);
      } else if (value instanceof Node) {
        dd.appendChild(value);
      } else {
        dd.textContent = String(value);
      }
      wrap.appendChild(dd);
      dl.appendChild(wrap);
    });
    return dl;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  }

  /* -- state --------------------------------------------------------------------------------------- */

  var token = storageGet(KEY_TOKEN);
  var me = null; /* {id, name, role, email} */
  var staff = []; /* officers and managers, for handler and owner choices */
  var staffById = {};
  var kase = null; /* the open case: {ref, data, letters, actions} */
  var route = { view: null };
  var loadSeq = 0;

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
    if (status === 404) {
      return "Not found.";
    }
    return "Something went wrong (" + status + "). Please try again.";
  }

  function request(method, path, body, opts) {
    opts = opts || {};
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var init = { method: method, headers: { Accept: opts.blob ? "*/*" : "application/json" }, cache: "no-store" };
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
        if (opts.blob && response.ok) {
          return response.blob().then(function (blob) {
            return { ok: true, status: response.status, data: null, blob: blob, error: null };
          });
        }
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
        if (!opts.quiet && result.status === 401 && token) {
          signedOut("Your session has ended. Please sign in again.");
        }
        return result;
      });
  }

  function get(path) {
    return request("GET", path);
  }

  function post(path, body) {
    return request("POST", path, body === undefined ? {} : body);
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "") {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function refPath(ref) {
    return "/api/v1/complaints/" + encodeURIComponent(ref);
  }

  /* -- form errors: shown beside the form, in plain words, fields marked; nothing typed is cleared ---- */

  function fieldLabel(form, name) {
    var input = form && form.querySelector('[name="' + name + '"]');
    if (!input) {
      return null;
    }
    var lab = input.id ? form.querySelector('label[for="' + input.id + '"]') : null;
    return { input: input, label: lab ? lab.textContent.trim() : name.replace(/_/g, " ") };
  }

  function plainField(msg) {
    for (var i = 0; i < FIELD_MESSAGES.length; i += 1) {
      if (FIELD_MESSAGES[i][0].test(msg)) {
        return FIELD_MESSAGES[i][1] || msg.charAt(0).toLowerCase() + msg.slice(1);
      }
    }
    return msg;
  }

  function showError(box, r, form) {
    clearInvalid(form);
    clear(box);
    var data = r && r.data;
    var messages = [];
    if (data && Array.isArray(data.errors) && data.errors.length && form) {
      data.errors.forEach(function (e) {
        var loc = (e.loc || []).filter(function (p) { return p !== "body" && typeof p === "string"; });
        var field = loc.length ? fieldLabel(form, loc[loc.length - 1]) || fieldLabel(form, loc[0]) : null;
        if (field) {
          field.input.setAttribute("aria-invalid", "true");
          messages.push(field.label + ": " + plainField(text(e.msg)));
        } else {
          messages.push(sentence((loc.length ? loc.join(" ") + ": " : "") + text(e.msg)));
        }
      });
    } else if (data && Array.isArray(data.missing) && data.missing.length) {
      /* the list below names each empty item; the headline says what that means */
      messages.push("This cannot be sent yet: every required item must be filled in" + (data.rule ? " (" + data.rule + ")." : "."));
    } else {
      messages.push(sentence(typeof r === "string" ? r : r.error));
    }
    var title = el("p", "error-title", messages.length > 1 ? "This was not saved:" : messages[0]);
    box.appendChild(title);
    if (messages.length > 1) {
      var ul = el("ul");
      messages.forEach(function (m) { ul.appendChild(el("li", null, sentence(m))); });
      box.appendChild(ul);
    }
    if (data && Array.isArray(data.missing) && data.missing.length) {
      box.appendChild(el("p", null, "Still empty:"));
      var miss = el("ul");
      data.missing.forEach(function (m) { miss.appendChild(el("li", null, m)); });
      box.appendChild(miss);
      markMissing(form, data.missing);
    }
    if (data && data.rule && !/Code \d/.test(messages.join(" "))) {
      box.appendChild(el("p", "small", "Rule: " + data.rule));
    }
    if (!box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "-1");
    }
    box.focus();
  }

  function markMissing(form, missing) {
    if (!form) {
      return;
    }
    form.querySelectorAll("[data-item-label]").forEach(function (input) {
      var name = input.getAttribute("data-item-label");
      if (missing.some(function (m) { return m.indexOf(name) === 0; })) {
        input.setAttribute("aria-invalid", "true");
      }
    });
  }

  function clearInvalid(form) {
    if (form) {
      form.querySelectorAll('[aria-invalid="true"]').forEach(function (n) { n.removeAttribute("aria-invalid"); });
    }
  }

  function clearError(box, form) {
    clear(box);
    clearInvalid(form);
  }

  /* a submit that cannot be pressed twice while the first is on its way */
  function busy(form, on) {
    form.querySelectorAll("button").forEach(function (b) {
      if (on) {
        b.dataset.wasDisabled = b.disabled ? "1" : "";
        b.disabled = true;
      } else {
        b.disabled = b.dataset.wasDisabled === "1";
      }
    });
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  /* -- signing in and out -------------------------------------------------------------------------- */

  function showLogin(message, agent) {
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = true; });
    $("main-nav").hidden = true;
    $("user-bar").hidden = true;
    $("counts-bar").hidden = true;
    $("global-error").textContent = "";
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
    $("login-agent").hidden = !agent;
    document.title = "Sign in – Complaints dashboard";
    $("login-email").focus();
  }

  function forget() {
    token = null;
    me = null;
    kase = null;
    storageSet(KEY_TOKEN, null);
    storageSet(KEY_ROLE, null);
    storageSet(KEY_NAME, null);
  }

  function signedOut(message, agent) {
    forget();
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    clear($("queue-rows"));
    clear($("requests-rows"));
    showLogin(message, agent);
  }

  function notForThisPage(role) {
    if (role === "agent") {
      return "This dashboard is for complaints officers and managers. You are signed in as a contact-centre agent: use the agent console.";
    }
    return "This dashboard is for complaints officers and managers. Your account (" + text(role) + ") cannot use it. Ask a manager if you need access.";
  }

  function onLogin(event) {
    event.preventDefault();
    var email = $("login-email").value.trim();
    var password = $("login-password").value;
    $("login-agent").hidden = true;
    if (!email || !password) {
      $("login-error").textContent = !email ? "Enter your email address." : "Enter your password.";
      (!email ? $("login-email") : $("login-password")).focus();
      return;
    }
    $("login-submit").disabled = true;
    $("login-error").textContent = "";
    token = null;
    request("POST", "/api/v1/auth/login", { email: email, password: password }, { quiet: true }).then(function (r) {
      $("login-submit").disabled = false;
      if (!r.ok) {
        $("login-error").textContent = sentence(r.error);
        $("login-password").value = "";
        $("login-password").focus();
        return;
      }
      if (ROLES.indexOf(r.data.role) < 0) {
        /* not for this page: end that session straight away and keep nothing */
        token = r.data.token;
        request("POST", "/api/v1/auth/logout", undefined, { quiet: true });
        token = null;
        $("login-error").textContent = notForThisPage(r.data.role);
        $("login-agent").hidden = r.data.role !== "agent";
        $("login-password").value = "";
        $("login-email").focus();
        return;
      }
      token = r.data.token;
      storageSet(KEY_TOKEN, token);
      storageSet(KEY_ROLE, r.data.role);
      storageSet(KEY_NAME, r.data.name);
      $("login-password").value = "";
      start();
    });
  }

  function onLogout() {
    var old = token;
    if (old) {
      request("POST", "/api/v1/auth/logout", undefined, { quiet: true });
    }
    signedOut("You have logged out.");
  }

  function start() {
    request("GET", "/api/v1/auth/me", undefined, { quiet: true }).then(function (r) {
      if (!r.ok) {
        signedOut(r.status === 401 ? "Your session has ended. Please sign in again." : sentence(r.error));
        return;
      }
      if (ROLES.indexOf(r.data.role) < 0) {
        var role = r.data.role;
        signedOut(notForThisPage(role), role === "agent");
        return;
      }
      me = r.data;
      storageSet(KEY_ROLE, me.role);
      storageSet(KEY_NAME, me.name);
      $("user-name").textContent = me.name;
      $("user-role").textContent = "(" + (me.role === "manager" ? "manager" : "complaints officer") + ")";
      $("login-view").hidden = true;
      $("user-bar").hidden = false;
      $("main-nav").hidden = false;
      $("counts-bar").hidden = false;
      $("nav-reports-item").hidden = me.role !== "manager";
      loadStaff().then(function () {
        onRoute();
      });
    });
  }

  function loadStaff() {
    return get("/api/v1/staff").then(function (r) {
      staff = r.ok && Array.isArray(r.data) ? r.data.filter(function (s) { return ROLES.indexOf(s.role) >= 0; }) : [];
      staffById = {};
      staff.forEach(function (s) { staffById[s.id] = s; });
      fillStaffSelect($("f-handler"), "Anyone");
      fillStaffSelect($("action-owner"), "No one yet");
    });
  }

  function fillStaffSelect(select, emptyLabel, selected) {
    var keep = selected !== undefined ? String(selected || "") : select.value;
    clear(select);
    if (emptyLabel !== null) {
      select.appendChild(new Option(emptyLabel, ""));
    }
    staff.forEach(function (s) {
      var who = s.name + (me && s.id === me.id ? " (you)" : "") + (s.role === "manager" ? ", manager" : "");
      select.appendChild(new Option(who, String(s.id)));
    });
    select.value = keep;
    if (select.value !== keep) {
      select.selectedIndex = 0;
    }
  }

  function staffName(id) {
    if (id === null || id === undefined) {
      return null;
    }
    var s = staffById[id];
    return s ? s.name : "Staff member " + id;
  }

  function actorName(actor) {
    var a = text(actor);
    if (a === "service:action-server") {
      return "The assistant (chat bot)";
    }
    if (a === "resident" || a === "bot" || a === "system") {
      return { resident: "The resident", bot: "The assistant (chat bot)", system: "System message" }[a];
    }
    var m = /^(agent|officer|manager):(\d+)$/.exec(a);
    if (m) {
      var s = staffById[Number(m[2])];
      return (s ? s.name : "Staff member " + m[2]) + " (" + m[1] + ")";
    }
    return a;
  }

  /* -- counts in the top bar ------------------------------------------------------------------------- */

  function refreshCounts() {
    return get("/api/v1/complaints?limit=1").then(function (r) {
      if (!r.ok || !r.data || !r.data.counts) {
        return;
      }
      var c = r.data.counts;
      $("count-new-n").textContent = String(c.new);
      $("count-red-n").textContent = String(c.red);
      $("count-amber-n").textContent = String(c.amber);
      $("count-new").setAttribute("aria-label", c.new + " new cases: show them");
      $("count-red").setAttribute("aria-label", c.red + " overdue cases, red: show them");
      $("count-amber").setAttribute("aria-label", c.amber + " cases due soon, amber: show them");
    });
  }

  /* -- routing ----------------------------------------------------------------------------------------- */

  function parseHash() {
    var h = window.location.hash.replace(/^#\/?/, "");
    var qAt = h.indexOf("?");
    var path = qAt >= 0 ? h.slice(0, qAt) : h;
    var params = {};
    if (qAt >= 0) {
      h.slice(qAt + 1).split("&").forEach(function (pair) {
        if (!pair) {
          return;
        }
        var eq = pair.indexOf("=");
        var k = decodeURIComponent(eq >= 0 ? pair.slice(0, eq) : pair);
        var v = eq >= 0 ? decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " ")) : "";
        params[k] = v;
      });
    }
    var parts = path.split("/");
    if (parts[0] === "case" && parts[1]) {
      return { view: "case", ref: decodeURIComponent(parts[1]).toUpperCase(), params: params };
    }
    if (parts[0] === "requests") {
      return { view: "requests", params: params };
    }
    return { view: "queue", params: params };
  }

  function onRoute() {
    if (!me) {
      return;
    }
    var previous = route;
    route = parseHash();
    $("global-error").textContent = "";
    ["queue", "requests", "case"].forEach(function (v) { $(v + "-view").hidden = v !== route.view; });
    $("nav-queue").toggleAttribute("aria-current", false);
    $("nav-requests").toggleAttribute("aria-current", false);
    if (route.view === "queue") {
      $("nav-queue").setAttribute("aria-current", "page");
    } else if (route.view === "requests") {
      $("nav-requests").setAttribute("aria-current", "page");
    }
    refreshCounts();
    var sameCase = route.view === "case" && previous.view === "case" && previous.ref === route.ref;
    if (route.view === "queue") {
      document.title = "Work queue – Complaints";
      showQueue(route.params, previous.view !== "queue");
    } else if (route.view === "requests") {
      document.title = "Service requests – Complaints";
      showRequests();
      $("requests-title").focus();
    } else {
      document.title = route.ref + " – Complaints";
      if (!sameCase) {
        openCase(route.ref);
      }
    }
  }

  /* -- the work queue ------------------------------------------------------------------------------- */

  function fillFilterOptions() {
    var status = $("f-status");
    status.appendChild(new Option("Open cases", ""));
    STATUSES.forEach(function (s) { status.appendChild(new Option(s[1], s[0])); });
    status.appendChild(new Option("All cases, closed ones too", "all"));
    var channel = $("f-channel");
    channel.appendChild(new Option("Any channel", ""));
    ["webchat", "sms", "whatsapp", "telegram", "phone", "email", "letter", "in_person"].forEach(function (c) {
      channel.appendChild(new Option(CHANNELS[c], c));
    });
    var adj = $("adj-type");
    Object.keys(ADJUSTMENTS).forEach(function (k) { adj.appendChild(new Option(ADJUSTMENTS[k], k)); });
  }

  function filterValues() {
    var params = {};
    FILTERS.forEach(function (name) {
      var input = $("filter-form").elements[name];
      var v = input ? input.value.trim() : "";
      if (v) {
        params[name] = v;
      }
    });
    return params;
  }

  function onFilter(event) {
    event.preventDefault();
    var target = "#/queue" + query(filterValues());
    if (window.location.hash === target) {
      showQueue(parseHash().params, false);
    } else {
      window.location.hash = target;
    }
  }

  function onFilterClear() {
    $("filter-form").reset();
    window.location.hash = "#/queue";
  }

  function showQueue(params, focusTitle) {
    var form = $("filter-form");
    var active = 0;
    FILTERS.forEach(function (name) {
      var input = form.elements[name];
      if (input) {
        input.value = params[name] || "";
        if (input.value !== (params[name] || "")) {
          input.value = "";
        }
        if (name !== "q" && params[name]) {
          active += 1;
        }
      }
    });
    $("filter-count").textContent = active ? "(" + active + " on)" : "";
    if (active) {
      $("filter-more").open = true;
    }
    if (focusTitle) {
      $("queue-title").focus();
    }
    var offset = Math.max(0, parseInt(params.offset, 10) || 0);
    var wanted = {};
    FILTERS.forEach(function (n) { wanted[n] = params[n]; });
    wanted.limit = PAGE_SIZE;
    wanted.offset = offset;
    var seq = ++loadSeq;
    $("queue-count").textContent = "Loading cases…";
    get("/api/v1/complaints" + query(wanted)).then(function (r) {
      if (seq !== loadSeq) {
        return;
      }
      clearError($("queue-error"));
      if (!r.ok) {
        $("queue-count").textContent = "";
        showError($("queue-error"), r);
        return;
      }
      renderQueue(r.data, params, offset);
    });
  }

  function renderQueue(data, params, offset) {
    var rows = clear($("queue-rows"));
    var items = data.items || [];
    items.forEach(function (item) {
      var tr = el("tr", item.is_new ? "is-new" : "");
      tr.setAttribute("role", "row");
      var refCell = cell(tr, "Reference");
      var a = el("a", "ref-link", item.reference);
      a.href = "#/case/" + encodeURIComponent(item.reference);
      refCell.appendChild(a);
      refCell.appendChild(el("span", "cell-sub", "Received " + day(text(item.received_at).slice(0, 10))));
      var who = cell(tr, "Resident");
      who.appendChild(el("span", null, item.resident_name));
      if (item.postcode) {
        who.appendChild(el("span", "cell-sub", item.postcode));
      }
      var st = cell(tr, "Stage and status");
      st.appendChild(el("span", null, "Stage " + item.stage));
      st.appendChild(el("span", "cell-sub", statusLabel(item.status)));
      var due = cell(tr, "Due");
      due.appendChild(item.current_due ? timeEl(item.current_due) : el("span", "muted", "—"));
      var rag = cell(tr, "Deadline");
      rag.appendChild(ragBadge(item.rag));
      var dt = daysText(item.working_days_remaining, item.status);
      if (dt) {
        rag.appendChild(el("span", "days", dt));
      }
      cell(tr, "Handler").textContent = item.handler_name || "Not assigned";
      var fl = cell(tr, "Flags");
      var ul = el("ul", "flags");
      ul.setAttribute("aria-label", "Flags");
      if (item.is_new) {
        ul.appendChild(flag("New", "new"));
      }
      if (item.has_needs) {
        ul.appendChild(flag("Needs or adjustments", "adjust"));
      }
      if (item.has_representative) {
        ul.appendChild(flag("Representative", "rep"));
      }
      if (item.category) {
        ul.appendChild(flag(item.category, "rep"));
      }
      ul.appendChild(flag(label(CHANNELS, item.channel), "rep"));
      fl.appendChild(ul);
      rows.appendChild(tr);
    });
    var total = typeof data.total === "number" ? data.total : items.length;
    $("queue-table").hidden = !items.length;
    $("queue-empty").hidden = Boolean(items.length);
    $("queue-count").textContent =
      total === 0 ? "No cases match." : total === 1 ? "1 case." : items.length < total ? total + " cases; showing " + (offset + 1) + " to " + (offset + items.length) + "." : total + " cases.";
    var pager = $("queue-pager");
    var hasPrev = offset > 0;
    var hasNext = offset + items.length < total;
    pager.hidden = !hasPrev && !hasNext;
    var base = {};
    FILTERS.forEach(function (n) { base[n] = params[n]; });
    pageLink($("page-prev"), hasPrev, base, Math.max(0, offset - PAGE_SIZE));
    pageLink($("page-next"), hasNext, base, offset + PAGE_SIZE);
    $("page-where").textContent = total ? "Page " + (Math.floor(offset / PAGE_SIZE) + 1) + " of " + Math.max(1, Math.ceil(total / PAGE_SIZE)) : "";
  }

  function pageLink(a, enabled, base, offset) {
    var p = Object.assign({}, base);
    if (offset) {
      p.offset = offset;
    }
    a.href = "#/queue" + query(p);
    a.setAttribute("aria-disabled", enabled ? "false" : "true");
    a.tabIndex = enabled ? 0 : -1;
  }

  function cell(tr, name) {
    var td = el("td");
    td.setAttribute("role", "cell");
    td.setAttribute("data-label", name);
    tr.appendChild(td);
    return td;
  }

  /* -- the service request register ---------------------------------------------------------------- */

  function showRequests() {
    var seq = ++loadSeq;
    $("requests-count").textContent = "Loading the register…";
    get("/api/v1/service-requests/register?status=open").then(function (r) {
      if (seq !== loadSeq) {
        return;
      }
      clearError($("requests-error"));
      if (!r.ok) {
        $("requests-count").textContent = "";
        showError($("requests-error"), r);
        return;
      }
      var items = Array.isArray(r.data) ? r.data : r.data.items || [];
      var rows = clear($("requests-rows"));
      items.forEach(function (sr) {
        var tr = el("tr");
        tr.setAttribute("role", "row");
        var ref = cell(tr, "Reference");
        ref.appendChild(el("strong", null, sr.reference));
        ref.appendChild(el("span", "cell-sub", "Since " + day(text(sr.requested_at).slice(0, 10))));
        var what = cell(tr, "Request");
        what.appendChild(el("span", null, text(sr.service_code).replace(/_/g, " ")));
        what.appendChild(el("span", "cell-sub", sr.description));
        cell(tr, "Age").textContent = sr.age_days === 1 ? "1 day" : sr.age_days + " days";
        cell(tr, "Status").textContent = text(sr.status).replace(/_/g, " ");
        cell(tr, "Channel and postcode").textContent = label(CHANNELS, sr.channel) + (sr.postcode ? ", " + sr.postcode : "");
        var linked = cell(tr, "Linked complaints");
        if (sr.complaint_refs && sr.complaint_refs.length) {
          var ul = el("ul", "linked");
          sr.complaint_refs.forEach(function (c) {
            var li = el("li");
            var a = el("a", null, c);
            a.href = "#/case/" + encodeURIComponent(c);
            li.appendChild(a);
            ul.appendChild(li);
          });
          linked.appendChild(ul);
        } else {
          linked.textContent = "None";
        }
        rows.appendChild(tr);
      });
      $("requests-table").hidden = !items.length;
      $("requests-empty").hidden = Boolean(items.length);
      $("requests-count").textContent = items.length === 1 ? "1 open request." : items.length + " open requests.";
    });
  }

  /* -- a case --------------------------------------------------------------------------------------- */

  var FORMS = ["adj-form", "rep-form", "restrict-form", "def-form", "ack-form", "decline-form", "handler-form", "escalate-form", "extend-form", "respond-form", "action-form", "close-form"];
  var FOLDS = ["adj-add", "restrict-add", "def-history", "def-edit", "ack-fold", "decline-fold", "handler-fold", "escalate-fold", "extend-fold", "respond-fold", "action-add"];

  function resetCaseForms() {
    FORMS.forEach(function (id) {
      var f = $(id);
      f.reset();
      clearInvalid(f);
      f.querySelectorAll(".error-box").forEach(clear);
    });
    FOLDS.forEach(function (id) { $(id).open = false; });
    ["case-error", "letters-error", "actions-error", "timeline-error"].forEach(function (id) { clear($(id)); });
    $("case-notice").textContent = "";
    $("letters-notice").textContent = "";
    defDirty = false;
    Object.keys(editors).forEach(function (k) { editors[k].reset(); });
  }

  function openCase(ref) {
    resetCaseForms();
    kase = { ref: ref, data: null, letters: [], actions: [] };
    $("case-title").textContent = "Complaint " + ref;
    clear($("case-facts"));
    $("case-title").focus();
    loadCase(true);
  }

  /* Everything about the case, fetched again after every command (the server is the record). */
  function loadCase(first) {
    if (!kase) {
      return Promise.resolve();
    }
    var ref = kase.ref;
    $("loading").textContent = first ? "Loading the case…" : "";
    return Promise.all([
      get(refPath(ref)),
      get(refPath(ref) + "/timeline"),
      get(refPath(ref) + "/correspondence"),
      get(refPath(ref) + "/actions")
    ]).then(function (rs) {
      if (!kase || kase.ref !== ref) {
        return;
      }
      $("loading").textContent = "";
      var c = rs[0];
      if (!c.ok) {
        showError($("case-error"), c.status === 404 ? "There is no complaint with the reference " + ref + "." : c);
        $("case-view").classList.add("is-missing");
        return;
      }
      clear($("case-error"));
      kase.data = c.data;
      kase.letters = rs[2].ok && Array.isArray(rs[2].data) ? rs[2].data : [];
      kase.actions = rs[3].ok && Array.isArray(rs[3].data) ? rs[3].data : [];
      renderCase();
      if (rs[1].ok && Array.isArray(rs[1].data)) {
        renderTimeline(rs[1].data);
      } else {
        get(refPath(ref) + "/events").then(function (ev) {
          renderTimeline(
            ev.ok && Array.isArray(ev.data)
              ? ev.data.map(function (e) { return { at: e.at, kind: "event", title: text(e.type).replace(/_/g, " "), actor: e.actor, details: e.details }; })
              : []
          );
        });
      }
    });
  }

  function isOpen(status) {
    return OPEN_STATUSES.indexOf(status) >= 0;
  }

  function renderCase() {
    var c = kase.data;
    var status = c.status;
    document.title = c.reference + (c.resident ? " – " + c.resident.name : "") + " – Complaints";
    $("case-title").textContent = "Complaint " + c.reference + (c.resident ? ": " + c.resident.name : "");
    var facts = clear($("case-facts"));
    /* a finished case says which stage it ended at (the API's stage for a closed case is its first) */
    var reached = (c.stages || []).length;
    facts.appendChild(el("li", null, !isOpen(status) && reached > c.stage ? "Ended at stage " + reached : "Stage " + c.stage));
    facts.appendChild(el("li", null, statusLabel(status)));
    var ragLi = el("li");
    ragLi.appendChild(ragBadge(c.rag));
    facts.appendChild(ragLi);
    if (c.current_due) {
      var due = el("li", null, "Due ");
      due.appendChild(timeEl(c.current_due));
      var dt = daysText(c.working_days_remaining, status);
      if (dt) {
        due.appendChild(document.createTextNode(" (" + dt + ")"));
      }
      facts.appendChild(due);
    }
    facts.appendChild(el("li", null, "Received by " + label(CHANNELS, c.channel)));

    renderNeeds(c);
    renderDefinition(c);
    renderDecision(c);
    renderWork(c);
    renderActions();
    renderLetters();
    $("closing").hidden = !(status === "stage1_responded" || status === "stage2_responded");
  }

  /* -- the resident and their needs (shown first) -- */

  function renderNeeds(c) {
    var r = c.resident;
    var box = clear($("resident-facts"));
    if (!r) {
      box.appendChild(el("p", "muted", "No resident record is linked to this complaint."));
      ["adj-add", "restrict-add"].forEach(function (id) { $(id).hidden = true; });
      clear($("adjustments"));
      clear($("disclosed-needs"));
      clear($("contact-prefs"));
      clear($("restrictions"));
      return;
    }
    ["adj-add", "restrict-add"].forEach(function (id) { $(id).hidden = false; });
    box.appendChild(factList([["Name", r.name], ["Address", [r.address, r.postcode].filter(Boolean).join(", ")], ["Tenancy reference", r.tenancy_ref]]));

    var keep = keepValues($("adjustments"));
    var adj = clear($("adjustments"));
    (r.adjustments || []).forEach(function (a) { adj.appendChild(adjustmentItem(r, a)); });
    if (!(r.adjustments || []).length) {
      adj.appendChild(el("li", "muted", "None recorded."));
    }
    restoreValues(keep);

    var needs = clear($("disclosed-needs"));
    if ((r.disclosed_needs || []).length) {
      var ul = el("ul", "items");
      r.disclosed_needs.forEach(function (n) { ul.appendChild(el("li", "item item--adjust item-text", n)); });
      needs.appendChild(ul);
    } else {
      needs.appendChild(el("p", "muted", "None disclosed."));
    }

    var prefs = clear($("contact-prefs"));
    prefs.appendChild(
      factList([
        ["Preferred contact", r.preferred_contact_method ? label(CHANNELS, r.preferred_contact_method) : "Not given", r.preferred_contact_method ? "key" : null],
        ["When to contact", r.contact_times, "key"],
        ["Email", r.email],
        ["Phone", r.phone]
      ])
    );

    renderRepresentative(c);

    var keepR = keepValues($("restrictions"));
    var rs = clear($("restrictions"));
    (r.contact_restrictions || []).forEach(function (x) { rs.appendChild(restrictionItem(r, x)); });
    if (!(r.contact_restrictions || []).length) {
      rs.appendChild(el("li", "muted", "No contact restrictions."));
    }
    restoreValues(keepR);
  }

  function adjustmentItem(r, a) {
    var li = el("li", "item item--adjust");
    li.appendChild(el("p", "item-title", label(ADJUSTMENTS, a.type)));
    if (a.detail) {
      li.appendChild(el("p", "item-text", a.detail));
    }
    var flags = el("ul", "flags");
    flags.setAttribute("aria-label", "About this adjustment");
    flags.appendChild(a.agreed ? flag("Agreed", "ok") : flag("Not agreed yet", "warn"));
    if (a.due_for_review) {
      flags.appendChild(flag("Due for review", "warn"));
    }
    li.appendChild(flags);
    var meta = el("p", "item-meta", a.review_on ? "Review by " : "No review date");
    if (a.review_on) {
      meta.appendChild(timeEl(a.review_on));
    }
    li.appendChild(meta);

    var fold = el("details", "form-fold");
    fold.id = "adj-upd-" + a.id;
    fold.appendChild(el("summary", null, "Update this adjustment"));
    var form = el("form", "inline-form");
    form.noValidate = true;
    var err = el("div", "error-box");
    err.setAttribute("role", "alert");
    form.appendChild(err);
    var detail = textField(form, "adj-upd-detail-" + a.id, "detail", "Details", a.detail || "", 2);
    var agreed = checkField(form, "adj-upd-agreed-" + a.id, "agreed", "Agreed with the resident", a.agreed);
    var review = dateField(form, "adj-upd-review-" + a.id, "review_on", "Review by", a.review_on || "");
    form.appendChild(el("button", "button button--small", "Save changes"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(err, form);
      busy(form, true);
      var body = { detail: detail.value.trim(), agreed: agreed.checked };
      if (review.value) {
        body.review_on = review.value;
      }
      request("PATCH", "/api/v1/residents/" + r.id + "/adjustments/" + a.id, body).then(function (res) {
        busy(form, false);
        if (!res.ok) {
          showError(err, res, form);
          return;
        }
        done("The adjustment is updated.", [fold]);
      });
    });
    fold.appendChild(form);
    li.appendChild(fold);
    return li;
  }

  function restrictionItem(r, x) {
    var active = x.active !== false && !x.ended_at;
    var li = el("li", "item " + (active ? "item--warn" : "item--ended"));
    li.appendChild(el("p", "item-title", (active ? "Active: " : "Ended: ") + x.restriction));
    li.appendChild(factList([["Reasons", x.reasons], ["Equality Act considerations", x.equality_considerations]]));
    var meta = el("p", "item-meta", "Review by ");
    meta.appendChild(timeEl(x.review_on));
    meta.appendChild(document.createTextNode(". Decided by " + actorName(x.decided_by) + " on "));
    meta.appendChild(timeEl(x.decided_at, true));
    li.appendChild(meta);
    if (x.due_for_review && active) {
      var fl = el("ul", "flags");
      fl.appendChild(flag("Due for review", "warn"));
      li.appendChild(fl);
    }
    if (!active) {
      li.appendChild(el("p", "item-meta", "Ended" + (x.end_reason ? ": " + x.end_reason : "") + (x.ended_by ? " (" + actorName(x.ended_by) + ")" : "")));
      return li;
    }
    var fold = el("details", "form-fold");
    fold.id = "restrict-end-" + x.id;
    fold.appendChild(el("summary", null, "End this restriction"));
    var form = el("form", "inline-form");
    form.noValidate = true;
    var err = el("div", "error-box");
    err.setAttribute("role", "alert");
    form.appendChild(err);
    var reason = textField(form, "restrict-end-reason-" + x.id, "reason", "Why it ends", "", 2);
    form.appendChild(el("button", "button button--small", "End the restriction"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(err, form);
      busy(form, true);
      post("/api/v1/residents/" + r.id + "/contact-restrictions/" + x.id + "/end", { reason: reason.value }).then(function (res) {
        busy(form, false);
        if (!res.ok) {
          showError(err, res, form);
          return;
        }
        done("The contact restriction has ended.", [fold]);
      });
    });
    fold.appendChild(form);
    li.appendChild(fold);
    return li;
  }

  function renderRepresentative(c) {
    var box = clear($("representative"));
    var rep = c.representative;
    var form = $("rep-form");
    if (!rep) {
      box.appendChild(el("p", "muted", "No one is acting for the resident on this complaint."));
      form.hidden = true;
      return;
    }
    var li = el("div", "item" + (rep.authority_status === "confirmed" ? " item--done" : " item--warn"));
    li.appendChild(el("p", "item-title", rep.name + " (" + label(RELATIONSHIPS, rep.relationship) + (rep.organisation ? ", " + rep.organisation : "") + ")"));
    var flags = el("ul", "flags");
    flags.setAttribute("aria-label", "Authority");
    flags.appendChild(flag("Authority: " + label(AUTHORITY, rep.authority_status), rep.authority_status === "confirmed" ? "ok" : "warn"));
    li.appendChild(flags);
    li.appendChild(factList([["Contact", rep.contact], ["Evidence", rep.authority_method], ["Decided", rep.authority_decided_at ? moment(rep.authority_decided_at) : null]]));
    if (rep.authority_status === "pending") {
      li.appendChild(el("p", "item-meta", "Until authority is confirmed, do not share the resident's personal details with them."));
    }
    box.appendChild(li);
    form.hidden = rep.authority_status !== "pending";
    form.dataset.repId = String(rep.id);
  }

  function onRepDecision(event) {
    event.preventDefault();
    var form = $("rep-form");
    var choice = event.submitter && event.submitter.value === "refused" ? "refused" : "confirmed";
    clearError($("rep-error"), form);
    busy(form, true);
    post("/api/v1/representatives/" + form.dataset.repId + "/authority", { status: choice, method: $("rep-method").value }).then(function (r) {
      busy(form, false);
      if (!r.ok) {
        showError($("rep-error"), r, form);
        return;
      }
      form.reset();
      done(choice === "confirmed" ? "The representative's authority is confirmed." : "The representative's authority is refused.");
    });
  }

  function onAddAdjustment(event) {
    event.preventDefault();
    var form = $("adj-form");
    var r = kase && kase.data && kase.data.resident;
    if (!r) {
      return;
    }
    clearError($("adj-error"), form);
    var body = { type: $("adj-type").value, detail: $("adj-detail").value.trim(), agreed: $("adj-agreed").checked };
    if ($("adj-review").value) {
      body.review_on = $("adj-review").value;
    }
    busy(form, true);
    post("/api/v1/residents/" + r.id + "/adjustments", body).then(function (res) {
      busy(form, false);
      if (!res.ok) {
        showError($("adj-error"), res, form);
        return;
      }
      form.reset();
      done("The adjustment is recorded.", [$("adj-add")]);
    });
  }

  function onRestrict(event) {
    event.preventDefault();
    var form = $("restrict-form");
    var r = kase && kase.data && kase.data.resident;
    if (!r) {
      return;
    }
    clearError($("restrict-error"), form);
    var body = {
      restriction: $("restrict-what").value,
      reasons: $("restrict-reasons").value,
      equality_considerations: $("restrict-equality").value,
      review_on: $("restrict-review").value || null
    };
    busy(form, true);
    post("/api/v1/residents/" + r.id + "/contact-restrictions", body).then(function (res) {
      busy(form, false);
      if (!res.ok) {
        showError($("restrict-error"), res, form);
        return;
      }
      form.reset();
      done("The contact restriction is recorded.", [$("restrict-add")]);
    });
  }

  /* -- the definition (5.6) and what we are responsible for (5.7) -- */

  var defDirty = false;

  function definitionBlock(d, current) {
    var wrap = el("div", current ? "definition" : "definition definition--old");
    var meta = el("p", "item-meta", "Version " + d.version + " (stage " + d.stage + "), recorded by " + actorName(d.created_by) + " on ");
    meta.appendChild(timeEl(d.created_at, true));
    meta.appendChild(document.createTextNode(d.confirmed_by_resident ? ". Confirmed by the resident." : ". Not confirmed by the resident yet."));
    wrap.appendChild(meta);
    wrap.appendChild(
      factList([
        ["What went wrong", d.points],
        ["The outcome they want", d.outcomes],
        ["Officer's summary", d.officer_summary],
        ["What we are responsible for (5.7)", d.landlord_responsible],
        ["What we are not responsible for (5.7)", d.not_landlord_responsible]
      ])
    );
    return wrap;
  }

  function renderDefinition(c) {
    var box = clear($("definition"));
    var d = c.definition;
    if (d && (d.points.length || d.outcomes.length)) {
      box.appendChild(definitionBlock(d, true));
      if (!d.outcomes.length || !d.points.length) {
        box.appendChild(el("p", "error-box", "Not fully defined: record " + (!d.points.length ? "what went wrong" : "the outcome the resident wants") + " before acknowledging (Code 5.6)."));
      }
    } else {
      box.appendChild(el("p", "error-box", "Not defined yet: record what went wrong and the outcome the resident wants before acknowledging (Code 5.6)."));
    }
    var history = (c.definition_history || []).slice(0, -1).reverse();
    $("def-history").hidden = !history.length;
    $("def-history-count").textContent = history.length ? "(" + history.length + ")" : "";
    var list = clear($("def-versions"));
    history.forEach(function (v) {
      var li = el("li");
      li.appendChild(definitionBlock(v, false));
      list.appendChild(li);
    });
    $("def-edit").hidden = !isOpen(c.status);
    if (!defDirty) {
      $("def-points").value = d ? d.points.join("\n") : "";
      $("def-outcomes").value = d ? d.outcomes.join("\n") : "";
      $("def-summary").value = (d && d.officer_summary) || "";
      $("def-resp").value = (d && d.landlord_responsible) || "";
      $("def-notresp").value = (d && d.not_landlord_responsible) || "";
      $("def-confirmed").checked = Boolean(d && d.confirmed_by_resident);
    }
    var facts = clear($("complaint-facts"));
    facts.appendChild(el("h3", "sub-title", "What we know"));
    var srs = null;
    if ((c.service_request_refs || []).length) {
      srs = el("span");
      c.service_request_refs.forEach(function (ref, i) {
        if (i) {
          srs.appendChild(document.createTextNode(", "));
        }
        var a = el("a", null, ref);
        a.href = "#/requests";
        srs.appendChild(a);
      });
    }
    var related = null;
    if (c.related_to) {
      related = el("a", null, c.related_to);
      related.href = "#/case/" + encodeURIComponent(c.related_to);
    }
    facts.appendChild(
      factList([
        ["Category", c.category],
        ["Received", moment(c.received_at) + " by " + label(CHANNELS, c.channel)],
        ["When it happened (their words)", c.when_described],
        ["Happened on", c.happened_on ? day(c.happened_on) : null],
        ["Became aware on", c.aware_on ? day(c.aware_on) : null],
        ["How it has affected them", c.impact],
        ["Reported to us before", c.earlier_reports],
        ["Linked service requests", srs],
        ["Related to complaint", related],
        ["Declined", c.decline_ground ? label(GROUNDS, c.decline_ground) + ": " + text(c.decline_reasons) : null, c.decline_ground ? "warn" : null],
        ["What we learned (9.1)", c.learning]
      ])
    );
  }

  function onDefinition(event) {
    event.preventDefault();
    var form = $("def-form");
    clearError($("def-error"), form);
    var body = {
      points: lines($("def-points").value),
      outcomes: lines($("def-outcomes").value),
      officer_summary: $("def-summary").value.trim() || null,
      landlord_responsible: $("def-resp").value.trim() || null,
      not_landlord_responsible: $("def-notresp").value.trim() || null,
      confirmed_by_resident: $("def-confirmed").checked
    };
    command("definition", body, form, $("def-error"), function () {
      defDirty = false;
      return "A new version of the definition is saved.";
    }, [$("def-edit")]);
  }

  /* -- accept (acknowledge) or decline -- */

  function renderDecision(c) {
    var deciding = c.status === "received" || c.status === "stage2_requested";
    $("decision").hidden = !deciding;
    if (!deciding) {
      return;
    }
    var stage = c.status === "received" ? 1 : 2;
    $("decision-title").textContent = stage === 1 ? "Accept or decline" : "Stage 2: accept the escalation or refuse it";
    var ex = clear($("exclusions"));
    ex.appendChild(el("h3", "sub-title", "Exclusion facts (Code 2.2–2.3)"));
    var flags = c.exclusion_flags || [];
    ex.appendChild(
      factList([
        ["12 months", c.over_twelve_months_warning ? "Raised more than 12 months after the issue or the resident becoming aware: consider discretion (Code 2.3)." : "Within 12 months, or the dates are not known.", c.over_twelve_months_warning ? "warn" : null],
        ["Legal proceedings", label(LEGAL, c.legal_proceedings), c.legal_proceedings === "filed" ? "warn" : null],
        ["Considered before", c.previously_considered_ref ? "Yes: " + c.previously_considered_ref : "No", c.previously_considered_ref ? "warn" : null],
        ["Personal injury", c.personal_injury ? "Mentioned: this may be for insurers or the courts; the rest can still be a complaint." : null, c.personal_injury ? "warn" : null]
      ])
    );
    if (!flags.length) {
      ex.appendChild(el("p", "muted", "No exclusion facts: the complaint can be accepted."));
    }
    $("ack-note-field").hidden = !(stage === 1 && flags.length);
    var d = c.definition;
    $("ack-hint").textContent =
      stage === 2 && (!d || d.stage !== 2)
        ? "Stage 2 needs its own definition: save a new version of the definition above (the issues escalated and the outcomes sought) before acknowledging (Code 6.11)."
        : "The acknowledgement tells the resident what we understand the complaint to be and when we will respond.";
    var s = (c.stages || [])[stage - 1] || {};
    fillStaffSelect($("ack-handler"), "The assigned handler, or me", $("ack-handler").value || s.handler_id || "");
    $("decline-ground").querySelector('option[value="other"]').disabled = stage === 2;
  }

  function onAcknowledge(event) {
    event.preventDefault();
    var form = $("ack-form");
    var body = {};
    if ($("ack-handler").value) {
      body.handler_id = Number($("ack-handler").value);
    }
    if (!$("ack-note-field").hidden && $("ack-note").value.trim()) {
      body.exclusion_note = $("ack-note").value;
    }
    letterCommand("acknowledge", body, form, $("ack-error"), editors.acknowledgement, "Acknowledged. The acknowledgement letter is ready in Letters.", [$("ack-fold")]);
  }

  function onDecline(event) {
    event.preventDefault();
    var form = $("decline-form");
    var body = { ground: $("decline-ground").value, reasons: $("decline-reasons").value };
    if ($("decline-evidence").value.trim()) {
      body.evidence = $("decline-evidence").value;
    }
    letterCommand("decline", body, form, $("decline-error"), editors.decline, "Declined. The letter with the reasons is ready in Letters.", [$("decline-fold")]);
  }

  /* -- working the case: stages, handlers, escalation, extension, response -- */

  function renderWork(c) {
    var status = c.status;
    var box = clear($("stages"));
    var ul = el("ul", "stage-list");
    (c.stages || []).forEach(function (s) {
      var li = el("li", "item");
      li.appendChild(el("p", "item-title", "Stage " + s.stage));
      li.appendChild(
        factList([
          ["Handler", staffName(s.handler_id) || "Not assigned"],
          [s.stage === 1 ? "Received" : "Escalation requested", s.received_on ? day(s.received_on) : null],
          ["Acknowledge by", s.acknowledge_by ? day(s.acknowledge_by) : null],
          ["Acknowledged", s.acknowledged_on ? day(s.acknowledged_on) + (s.acknowledged_within_timescale === false ? " (late)" : "") : "Not yet"],
          ["Respond by", s.respond_by ? day(s.respond_by) + (s.extensions ? " (extended " + s.extensions + (s.extensions === 1 ? " time" : " times") + "; originally " + day(s.respond_by_original) + ")" : "") : null],
          ["Responded", s.responded_on ? day(s.responded_on) + (s.responded_within_timescale_including_extension === false ? " (late)" : "") : s.acknowledged_on ? "Not yet" : null]
        ])
      );
      ul.appendChild(li);
    });
    box.appendChild(ul);

    var open = isOpen(status);
    $("handler-fold").hidden = !open;
    if (open) {
      var stageSel = $("handler-stage");
      if (!$("handler-fold").open) {
        stageSel.value = String(c.stage);
      }
      stageSel.querySelector('option[value="2"]').disabled = !(c.stages || [])[1];
      fillStaffSelect($("handler-who"), null);
    }
    var closedAfterStage1 = status === "closed" && (c.stages || []).length === 1 && c.stages[0].responded_on;
    $("escalate-fold").hidden = !(status === "stage1_responded" || closedAfterStage1);
    var responding = status === "stage1_acknowledged" || status === "stage2_acknowledged";
    $("extend-fold").hidden = !responding;
    $("respond-fold").hidden = !responding;
    if (responding) {
      var s = c.stages[c.stage - 1];
      var limit = c.stage === 1 ? 10 : 20;
      $("extend-hint").textContent =
        "Now due " + day(s.respond_by) + ". Up to " + limit + " working days after the original date (" + day(s.respond_by_original) + ") without a good reason (Code " +
        (c.stage === 1 ? "6.4" : "6.15") + "); the resident must be told before the due date passes.";
      $("respond-summary").textContent = c.stage === 1 ? "Write and send the stage 1 response" : "Write and send the stage 2 final response";
    }
  }

  function onHandler(event) {
    event.preventDefault();
    var form = $("handler-form");
    var body = { stage: Number($("handler-stage").value), handler_id: Number($("handler-who").value) };
    command("handlers", body, form, $("handler-error"), function () {
      return "Stage " + body.stage + " handler: " + staffName(body.handler_id) + ".";
    }, [$("handler-fold")]);
  }

  function onEscalate(event) {
    event.preventDefault();
    var form = $("escalate-form");
    var body = {};
    if ($("escalate-reason").value.trim()) {
      body.reason = $("escalate-reason").value;
    }
    command("escalate", body, form, $("escalate-error"), function () {
      return "The request for stage 2 is recorded. Acknowledge it within 5 working days.";
    }, [$("escalate-fold")]);
  }

  function onExtend(event) {
    event.preventDefault();
    var form = $("extend-form");
    var body = { new_due: $("extend-date").value || null, reason: $("extend-reason").value };
    if ($("extend-good").value.trim()) {
      body.good_reason = $("extend-good").value;
    }
    letterCommand("extend", body, form, $("extend-error"), editors.extension, "Extended. The extension notice is ready in Letters.", [$("extend-fold")]);
  }

  function onRespond(event) {
    event.preventDefault();
    var form = $("respond-form");
    var editor = editors.response;
    var values = editor.values();
    var decision = text(values.decision).trim().toLowerCase().replace(/\s+/g, "_");
    var body = {
      decision: DECISIONS.some(function (d) { return d[0] === decision; }) ? decision : null,
      reasons: text(values.reasons),
      remedy: text(values.remedy),
      outstanding_actions: text(values.outstanding_actions)
    };
    var stage = kase.data.stage;
    letterCommand("respond", body, form, $("respond-error"), editor, "The stage " + stage + " response is recorded.", [$("respond-fold")]);
  }

  function onClose(event) {
    event.preventDefault();
    var form = $("close-form");
    command("close", { learning: $("close-learning").value }, form, $("close-error"), function () {
      return "The complaint is closed and the learning recorded.";
    });
  }

  /* -- running a command: refusals beside the form, success reloads the case -- */

  function command(action, body, form, errorBox, success, folds) {
    clearError(errorBox, form);
    busy(form, true);
    return post(refPath(kase.ref) + "/" + action, body).then(function (r) {
      busy(form, false);
      if (!r.ok) {
        showError(errorBox, r, form);
        return null;
      }
      var message = success(r);
      form.reset();
      return done(message, folds).then(function () { return r; });
    });
  }

  function letterCommand(action, body, form, errorBox, editor, message, folds) {
    var route = null;
    if (editor && editor.loaded) {
      body.letter = editor.edits();
      route = editor.route();
    }
    return command(action, body, form, errorBox, function () { return message; }, folds).then(function (r) {
      if (!r) {
        return;
      }
      if (editor) {
        editor.reset();
      }
      var id = r.data && r.data.notice && r.data.notice.id;
      if (!id && editor) {
        var mine = kase.letters.filter(function (l) { return l.kind === editor.kind(); });
        id = mine.length ? mine[mine.length - 1].id : null;
      }
      if (route && route !== "keep" && id) {
        sendLetter(id, route);
      }
    });
  }

  /* after a command: say so, close the forms it came from, fetch the case and the counts again */
  function done(message, folds) {
    (folds || []).forEach(function (f) {
      if (f) {
        f.open = false;
      }
    });
    $("case-notice").textContent = message;
    announce(message);
    refreshCounts();
    return loadCase(false).then(function () {
      var notice = $("case-notice");
      notice.setAttribute("tabindex", "-1");
      notice.focus();
    });
  }

  /* -- remedies and outstanding actions -- */

  function renderActions() {
    var keep = keepValues($("actions-list"));
    var list = clear($("actions-list"));
    var c = kase.data;
    var actions = kase.actions || [];
    actions.forEach(function (a) { list.appendChild(actionItem(a)); });
    if (!actions.length) {
      list.appendChild(el("li", "muted", "None recorded."));
    }
    restoreValues(keep);
    $("action-add").hidden = !isOpen(c.status);
    if (!$("action-add").open) {
      fillStaffSelect($("action-owner"), "No one yet", me ? me.id : "");
    }
  }

  function actionItem(a) {
    var isDone = a.status === "done";
    var li = el("li", "item " + (isDone ? "item--done" : a.overdue ? "item--warn" : ""));
    li.appendChild(el("p", "item-title", label(REMEDIES, a.kind) + (a.amount_pence !== null && a.amount_pence !== undefined ? ": " + pounds(a.amount_pence) : "")));
    li.appendChild(el("p", "item-text", a.description));
    var flags = el("ul", "flags");
    flags.setAttribute("aria-label", "Progress");
    flags.appendChild(isDone ? flag("Done", "ok") : flag("Open", "new"));
    if (a.overdue && !isDone) {
      flags.appendChild(flag("Overdue", "warn"));
    }
    li.appendChild(flags);
    li.appendChild(
      factList([
        ["Due by", a.due_on ? day(a.due_on) : null],
        ["Owner", a.owner_name || staffName(a.owner_id)],
        ["Done on", a.done_on ? day(a.done_on) : null],
        ["What the resident was told", a.resident_update]
      ])
    );
    if (isDone) {
      return li;
    }
    var fold = el("details", "form-fold");
    fold.id = "action-done-" + a.id;
    fold.appendChild(el("summary", null, "Mark as done"));
    var form = el("form", "inline-form");
    form.noValidate = true;
    var err = el("div", "error-box");
    err.setAttribute("role", "alert");
    form.appendChild(err);
    var update = textField(form, "action-done-update-" + a.id, "resident_update", "The update to the resident", "", 3, "What was done, and anything still to come. It is prepared as a letter for the resident.");
    form.appendChild(el("button", "button button--small", "Mark as done"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(err, form);
      busy(form, true);
      post(refPath(kase.ref) + "/actions/" + a.id + "/done", { resident_update: update.value }).then(function (r) {
        busy(form, false);
        if (!r.ok) {
          showError(err, r, form);
          return;
        }
        done("Marked as done. The update to the resident is ready to send in Letters.", [fold]);
      });
    });
    fold.appendChild(form);
    li.appendChild(fold);
    return li;
  }

  function onAddAction(event) {
    event.preventDefault();
    var form = $("action-form");
    clearError($("action-error"), form);
    var body = { kind: $("action-kind").value, description: $("action-desc").value };
    var amount = $("action-amount").value.replace(/[£,\s]/g, "");
    if (amount) {
      if (!/^\d+(\.\d{1,2})?$/.test(amount)) {
        showError($("action-error"), "Amount in pounds: enter an amount such as 150 or 150.00.", form);
        $("action-amount").setAttribute("aria-invalid", "true");
        return;
      }
      body.amount_pence = Math.round(parseFloat(amount) * 100);
    }
    if ($("action-due").value) {
      body.due_on = $("action-due").value;
    }
    if ($("action-owner").value) {
      body.owner_id = Number($("action-owner").value);
    }
    busy(form, true);
    post(refPath(kase.ref) + "/actions", body).then(function (r) {
      busy(form, false);
      if (!r.ok) {
        showError($("action-error"), r, form);
        return;
      }
      form.reset();
      done(label(REMEDIES, body.kind) + " added.", [$("action-add")]);
    });
  }

  /* -- letters -- */

  function renderLetters() {
    var list = clear($("letters-list"));
    var letters = kase.letters || [];
    var resident = kase.data.resident;
    var channel = resident && resident.preferred_contact_method ? label(CHANNELS, resident.preferred_contact_method) : null;
    /* the PDF is large print by default when the resident asked for it (Code 5.10) */
    var wantsLargePrint = Boolean(resident && (resident.adjustments || []).some(function (a) { return a.type === "large_print"; }));
    letters
      .slice()
      .reverse()
      .forEach(function (l) {
        var li = el("li", "item" + (l.delivery_status && l.delivery_status !== "prepared" ? " item--done" : ""));
        li.appendChild(el("p", "item-title", l.title || label(LETTER_KINDS, l.kind)));
        var meta = el("p", "item-meta", label(LETTER_KINDS, l.kind) + ", prepared ");
        meta.appendChild(timeEl(l.created_at, true));
        li.appendChild(meta);
        var flags = el("ul", "flags");
        flags.setAttribute("aria-label", "Delivery");
        var status = l.delivery_status || "prepared";
        var how = status === "sent" && l.delivery ? "Sent by " + label(CHANNELS, l.delivery) : label(DELIVERY, status);
        flags.appendChild(flag(how, status === "prepared" ? "warn" : "ok"));
        if (l.large_print === undefined ? wantsLargePrint : l.large_print) {
          flags.appendChild(flag("Large print", "adjust"));
        }
        li.appendChild(flags);
        var actions = el("div", "item-actions");
        if (l.id) {
          var name = (l.title || l.kind) + ", " + moment(l.created_at);
          var read = button("Read", "button--secondary button--small", function () { openLetter(l); });
          read.setAttribute("aria-label", "Read: " + name);
          actions.appendChild(read);
          var pdf = button("Download PDF", "button--secondary button--small", function () { downloadPdf(l, null, pdf); });
          pdf.setAttribute("aria-label", "Download PDF: " + name);
          actions.appendChild(pdf);
          var large = button("Large-print PDF", "button--secondary button--small", function () { downloadPdf(l, true, large); });
          large.setAttribute("aria-label", "Download large-print PDF: " + name);
          actions.appendChild(large);
          if (status === "prepared") {
            var send = button(channel ? "Send by " + channel : "Send on their channel", "button--small", function () { sendLetter(l.id, "channel"); });
            send.setAttribute("aria-label", (channel ? "Send by " + channel : "Send on the resident's channel") + ": " + name);
            actions.appendChild(send);
            var toPost = button("Mark for post", "button--secondary button--small", function () { sendLetter(l.id, "post"); });
            toPost.setAttribute("aria-label", "Mark for post: " + name);
            actions.appendChild(toPost);
            var toEmail = button("Mark for email", "button--secondary button--small", function () { sendLetter(l.id, "email"); });
            toEmail.setAttribute("aria-label", "Mark for email: " + name);
            actions.appendChild(toEmail);
          }
        } else if (l.body) {
          var fold = el("details", "form-fold");
          fold.appendChild(el("summary", null, "Read"));
          fold.appendChild(el("p", "fixed-text", l.body));
          li.appendChild(fold);
        }
        li.appendChild(actions);
        list.appendChild(li);
      });
    if (!letters.length) {
      list.appendChild(el("li", "muted", "No letters yet."));
    }
  }

  function sendLetter(id, routeName) {
    clear($("letters-error"));
    $("letters-notice").textContent = "";
    return post("/api/v1/letters/" + id + "/send", { route: routeName }).then(function (r) {
      if (!r.ok) {
        showError($("letters-error"), r);
        return loadCase(false);
      }
      var msg = routeName === "channel" ? "The letter is sent to the resident." : routeName === "post" ? "The letter is marked for the post." : "The letter is marked to go by email.";
      $("letters-notice").textContent = msg;
      announce(msg);
      return loadCase(false);
    });
  }

  function openLetter(l) {
    var dialog = $("letter-dialog");
    $("letter-dialog-title").textContent = l.title || label(LETTER_KINDS, l.kind);
    $("letter-dialog-meta").textContent = "Loading…";
    var body = clear($("letter-dialog-body"));
    dialog.showModal();
    get("/api/v1/letters/" + l.id).then(function (r) {
      if (!r.ok) {
        $("letter-dialog-meta").textContent = sentence(r.error);
        return;
      }
      var status = r.data.delivery_status || "prepared";
      $("letter-dialog-meta").textContent =
        label(LETTER_KINDS, r.data.kind) + ". " + (status === "sent" && r.data.delivery ? "Sent by " + label(CHANNELS, r.data.delivery) : label(DELIVERY, status)) + (r.data.large_print ? ". Large print." : ".");
      renderLetterHtml(body, r.data.html, r.data.body);
      body.focus();
    });
  }

  function downloadPdf(l, largePrint, btn) {
    clear($("letters-error"));
    btn.disabled = true;
    var path = "/api/v1/letters/" + l.id + "/pdf" + (largePrint === null ? "" : "?large_print=" + (largePrint ? "true" : "false"));
    request("GET", path, undefined, { blob: true }).then(function (r) {
      btn.disabled = false;
      if (!r.ok) {
        showError($("letters-error"), r);
        return;
      }
      var url = URL.createObjectURL(r.blob);
      var a = el("a");
      a.href = url;
      a.download = kase.ref + "-" + l.kind + "-" + l.id + (largePrint ? "-large-print" : "") + ".pdf";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      announce("The PDF is downloaded.");
    });
  }

  /* A letter's HTML is parsed inert and rebuilt from a few elements, text only: nothing in it runs. */
  var LETTER_TAGS = { H1: "h3", H2: "h4", H3: "h4", P: "p", UL: "ul", OL: "ol", LI: "li", TABLE: "table", THEAD: "thead", TBODY: "tbody", TR: "tr", TH: "th", TD: "td", STRONG: "strong", EM: "em", B: "strong" };

  function renderLetterHtml(into, html, fallback) {
    clear(into);
    if (!html) {
      into.appendChild(el("p", "fixed-text", fallback || ""));
      return;
    }
    /* the letter's own <style> is left out (our stylesheet lays it out; the page's CSP allows no inline style) */
    var doc = new DOMParser().parseFromString(String(html).replace(/<style[^>]*>[\s\S]*?<\/style\s*>/gi, ""), "text/html");
    into.classList.toggle("letter-view--large", Boolean(doc.body.classList.contains("large-print")));
    copySafe(doc.body, into);
  }

  function copySafe(from, to) {
    Array.prototype.forEach.call(from.childNodes, function (node) {
      if (node.nodeType === 3) {
        to.appendChild(document.createTextNode(node.nodeValue));
      } else if (node.nodeType === 1) {
        if (node.tagName === "BR") {
          to.appendChild(document.createElement("br"));
          return;
        }
        var tag = LETTER_TAGS[node.tagName];
        if (!tag) {
          if (node.tagName !== "SCRIPT" && node.tagName !== "STYLE" && node.tagName !== "TITLE") {
            copySafe(node, to); /* keep the words of anything else, never the element */
          }
          return;
        }
        var copy = document.createElement(tag);
        if ((tag === "th" || tag === "td") && node.getAttribute("scope") === "col") {
          copy.setAttribute("scope", "col");
        }
        copySafe(node, copy);
        to.appendChild(copy);
      }
    });
  }

  /* -- the letter editor: draft → edit items → preview → send -------------------------------------- */

  var editors = {};

  /* ``what``: acknowledgement | decline | extension | response. ``linked`` maps an item to a field of
     the command's own form (a decline's reasons are typed once, in the decline form). */
  function LetterEditor(slot, what, opts) {
    this.slot = slot;
    this.what = what;
    this.opts = opts || {};
    this.loaded = false;
    this.items = [];
    this.inputs = {};
    this.seq = 0;
    this.reset();
  }

  LetterEditor.prototype.kind = function () {
    return "stage" + (kase && kase.data ? kase.data.stage : 1) + "_" + this.what;
  };

  LetterEditor.prototype.reset = function () {
    var self = this;
    this.loaded = false;
    this.items = [];
    this.inputs = {};
    this.seq += 1;
    clear(this.slot);
    if (this.opts.auto) {
      return;
    }
    var toggle = button("Check and edit the letter", "button--secondary button--small");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      if (self.loaded) {
        return;
      }
      toggle.setAttribute("aria-expanded", "true");
      toggle.disabled = true;
      self.load();
    });
    this.slot.appendChild(toggle);
    this.slot.appendChild(el("p", "hint", "Optional: the letter is written from the case; you can change the wording before it goes."));
  };

  LetterEditor.prototype.draftBody = function () {
    var body = { kind: this.kind() };
    if (this.what === "extension" && $("extend-date").value) {
      body.new_due = $("extend-date").value;
    }
    return body;
  };

  LetterEditor.prototype.load = function () {
    var self = this;
    var seq = this.seq;
    var status = el("p", "hint", "Loading the letter…");
    status.setAttribute("role", "status");
    this.slot.appendChild(status);
    return post(refPath(kase.ref) + "/letters/draft", this.draftBody()).then(function (r) {
      if (seq !== self.seq) {
        return;
      }
      status.remove();
      if (!r.ok) {
        var err = el("div", "error-box");
        err.setAttribute("role", "alert");
        self.slot.appendChild(err);
        showError(err, r);
        return;
      }
      self.render(r.data);
    });
  };

  LetterEditor.prototype.render = function (draft) {
    var self = this;
    clear(this.slot);
    this.loaded = true;
    this.items = draft.items || [];
    this.inputs = {};
    var box = el("div", "letter");
    box.setAttribute("role", "group");
    var titleId = "letter-title-" + this.what;
    var h = el("h3", "letter-title", "The letter: " + (draft.title || label(LETTER_KINDS, draft.kind)));
    h.id = titleId;
    box.setAttribute("aria-labelledby", titleId);
    box.appendChild(h);
    box.appendChild(el("p", "hint", "Items marked “required” must not be empty. Fixed items come from the case" + (draft.large_print ? ". The resident asked for large print, so it goes in large print." : ".")));
    var linked = this.opts.linked || {};
    this.items.forEach(function (item) {
      var wrap = el("div", "field letter-item");
      var id = "li-" + self.what + "-" + item.key;
      var head = el(item.editable && !linked[item.key] ? "label" : "p", "item-label", item.label);
      if (item.editable && !linked[item.key]) {
        head.htmlFor = id;
      }
      if (item.required) {
        head.appendChild(el("span", "req", "required"));
      }
      if (item.provision) {
        head.appendChild(el("span", "prov", "Code " + item.provision));
      }
      wrap.appendChild(head);
      if (linked[item.key]) {
        wrap.appendChild(el("p", "hint", "Taken from “" + linked[item.key].label + "” above."));
      } else if (item.editable) {
        var input;
        if (item.key === "decision") {
          input = el("select");
          input.appendChild(new Option("Choose the decision", ""));
          DECISIONS.forEach(function (d) { input.appendChild(new Option(d[1], d[0])); });
          var v = text(item.value).trim().toLowerCase().replace(/\s+/g, "_");
          input.value = DECISIONS.some(function (d) { return d[0] === v; }) ? v : "";
        } else {
          input = el("textarea");
          input.rows = Math.min(8, Math.max(2, text(item.value).split("\n").length + 1));
          input.maxLength = 20000;
          input.value = text(item.value);
        }
        input.id = id;
        input.name = "letter_" + item.key;
        input.setAttribute("data-item-label", item.label);
        if (item.required) {
          input.setAttribute("aria-required", "true");
        }
        wrap.appendChild(input);
        self.inputs[item.key] = input;
      } else {
        var fixed = el("p", "fixed-text", item.value || "(empty)");
        fixed.setAttribute("data-item-label", item.label);
        wrap.appendChild(fixed);
      }
      box.appendChild(wrap);
    });

    var previewBtn = button("Preview the letter", "button--secondary button--small");
    var preview = el("div", "letter-preview");
    preview.setAttribute("aria-live", "polite");
    previewBtn.addEventListener("click", function () { self.preview(preview, previewBtn); });
    box.appendChild(previewBtn);
    box.appendChild(preview);

    var fs = el("fieldset", "delivery");
    fs.appendChild(el("legend", null, "When it is recorded"));
    var resident = kase.data.resident;
    var channel = resident && resident.preferred_contact_method ? label(CHANNELS, resident.preferred_contact_method) : "their preferred channel";
    [
      ["keep", "Keep it ready; send it from Letters below"],
      ["channel", "Send it to the resident now, by " + channel],
      ["post", "Mark it for the post"],
      ["email", "Mark it to go by email"]
    ].forEach(function (choice, i) {
      var row = el("div", "check");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "deliver-" + self.what;
      radio.value = choice[0];
      radio.id = "deliver-" + self.what + "-" + choice[0];
      radio.checked = i === 0;
      var lab = el("label", null, choice[1]);
      lab.htmlFor = radio.id;
      row.appendChild(radio);
      row.appendChild(lab);
      fs.appendChild(row);
    });
    box.appendChild(fs);
    this.slot.appendChild(box);
  };

  LetterEditor.prototype.values = function () {
    var out = {};
    var self = this;
    var linked = this.opts.linked || {};
    this.items.forEach(function (item) {
      if (linked[item.key]) {
        out[item.key] = linked[item.key].input().value;
      } else if (self.inputs[item.key]) {
        var input = self.inputs[item.key];
        out[item.key] = input.tagName === "SELECT" ? (input.value ? input.options[input.selectedIndex].text : "") : input.value;
        if (item.key === "decision") {
          out.decision = input.value;
        }
      } else {
        out[item.key] = text(item.value);
      }
    });
    return out;
  };

  /* what the officer may change: the editable items, as they now read */
  LetterEditor.prototype.edits = function () {
    var out = {};
    var self = this;
    var linked = this.opts.linked || {};
    this.items.forEach(function (item) {
      if (!item.editable) {
        return;
      }
      if (linked[item.key]) {
        out[item.key] = linked[item.key].input().value;
        return;
      }
      var input = self.inputs[item.key];
      if (!input) {
        return;
      }
      out[item.key] = input.tagName === "SELECT" ? (input.value ? input.options[input.selectedIndex].text : "") : input.value;
    });
    return out;
  };

  LetterEditor.prototype.route = function () {
    var checked = this.slot.querySelector('input[name="deliver-' + this.what + '"]:checked');
    return checked ? checked.value : "keep";
  };

  LetterEditor.prototype.preview = function (into, btn) {
    var self = this;
    var body = this.draftBody();
    body.items = this.edits();
    btn.disabled = true;
    clear(into);
    into.appendChild(el("p", "hint", "Preparing the preview…"));
    return post(refPath(kase.ref) + "/letters/preview", body).then(function (r) {
      btn.disabled = false;
      clear(into);
      if (!r.ok) {
        var err = el("div", "error-box");
        err.setAttribute("role", "alert");
        into.appendChild(err);
        showError(err, r, self.slot.closest("form"));
        return;
      }
      if ((r.data.missing || []).length) {
        var warn = el("div", "error-box");
        warn.appendChild(el("p", "error-title", "It cannot be sent yet. Still empty:"));
        var ul = el("ul");
        r.data.missing.forEach(function (m) { ul.appendChild(el("li", null, m)); });
        warn.appendChild(ul);
        into.appendChild(warn);
      }
      into.appendChild(el("h4", "sub-title", "Preview"));
      var view = el("div", "letter-view");
      view.setAttribute("role", "document");
      view.setAttribute("aria-label", "Preview of the letter");
      view.tabIndex = 0;
      renderLetterHtml(view, r.data.html, "");
      into.appendChild(view);
    });
  };

  /* -- the timeline -- */

  var TL_KINDS = { event: "Event", letter: "Letter", message: "Message", note: "Note" };
  /* the ids inside an event that mean nothing to a person (the record keeps them) */
  var DETAIL_SKIP = ["complaint_id", "correspondence_id", "resident_id", "conversation_id", "message_ids", "representative_id", "action_id", "restriction_id", "adjustment_id", "staff_id", "direction", "sender"];
  var DETAIL_LABELS = {
    handler_id: "Handler",
    owner_id: "Owner",
    respond_by: "Respond by",
    new_due: "New response date",
    previous_due: "Was due",
    good_reason: "Good reason",
    working_days_added: "Working days added",
    exclusion_note: "Why accepted",
    within_original_timescale: "Within the original timescale",
    within_timescale_including_extension: "Within the timescale with extensions",
    resident_update: "Update to the resident",
    confirmed_by_resident: "Confirmed by the resident",
    points: "What went wrong",
    outcomes: "Outcomes wanted",
    method: "Evidence",
    amount_pence: "Amount"
  };

  function detailValue(key, value) {
    if ((key === "handler_id" || key === "owner_id" || key === "decided_by_id") && typeof value === "number") {
      return staffName(value);
    }
    if (typeof value === "boolean") {
      return value ? "yes" : "no";
    }
    if (Array.isArray(value)) {
      return value.filter(function (v) { return typeof v !== "object" || v === null; }).map(text).filter(Boolean).join("; ");
    }
    if (value === null || typeof value === "object") {
      return "";
    }
    if (key === "kind") {
      return LETTER_KINDS[value] || REMEDIES[value] || text(value).replace(/_/g, " ");
    }
    if (key === "amount_pence" && typeof value === "number") {
      return pounds(value);
    }
    if (/^\d{4}-\d{2}-\d{2}T/.test(text(value))) {
      return moment(value);
    }
    if (key === "ground") {
      return label(GROUNDS, value);
    }
    if (/^\d{4}-\d{2}-\d{2}$/.test(text(value))) {
      return day(value);
    }
    return text(value);
  }

  /* an event's facts in one line: "Stage: 1 · Handler: Sam Senior · New response date: Wed, 23 Dec 2026" */
  function detailLine(details) {
    if (!details || typeof details !== "object") {
      return "";
    }
    return Object.keys(details)
      .filter(function (k) { return DETAIL_SKIP.indexOf(k) < 0; })
      .map(function (k) {
        var v = detailValue(k, details[k]);
        if (!v) {
          return "";
        }
        var name = DETAIL_LABELS[k] || k.charAt(0).toUpperCase() + k.slice(1).replace(/_/g, " ");
        return name + ": " + (v.length > 300 ? v.slice(0, 300) + "…" : v);
      })
      .filter(Boolean)
      .join(" · ");
  }

  function filterTimeline() {
    var show = $("timeline-show").value;
    var shown = 0;
    $("timeline-list").querySelectorAll(".tl").forEach(function (li) {
      var kind = li.getAttribute("data-kind");
      var on = !show || kind === show || (show === "message" && kind === "note");
      li.hidden = !on;
      shown += on ? 1 : 0;
    });
    $("timeline-count").textContent = shown + (shown === 1 ? " entry" : " entries") + " shown.";
  }

  function renderTimeline(entries) {
    var list = clear($("timeline-list"));
    entries.forEach(function (e) {
      var li = el("li", "tl tl--" + (e.kind || "event"));
      li.setAttribute("data-kind", e.kind || "event");
      var head = el("p", "tl-head");
      head.appendChild(el("span", "tl-kind", TL_KINDS[e.kind] || text(e.kind)));
      head.appendChild(timeEl(e.at, true));
      var who = [actorName(e.actor), e.channel ? label(CHANNELS, e.channel) : null].filter(Boolean).join(", ");
      if (who) {
        head.appendChild(document.createTextNode(" · " + who));
      }
      li.appendChild(head);
      var found = e.letter_id ? (kase.letters || []).filter(function (l) { return l.id === e.letter_id; })[0] : null;
      li.appendChild(el("p", "tl-title", (found && found.title) || e.title));
      if (e.text) {
        /* a letter's opening line here; the whole letter is one button away */
        li.appendChild(el("p", "tl-text", e.letter_id ? text(e.text).split(/\n\s*\n/)[0] : e.text));
      } else if (e.kind === "event") {
        var facts = detailLine(e.details);
        if (facts) {
          li.appendChild(el("p", "tl-details", facts));
        }
      }
      if (e.letter_id) {
        var read = button("Read the letter", "button--quiet button--small", function () { openLetter(found || { id: e.letter_id, kind: "" }); });
        li.appendChild(read);
      }
      list.appendChild(li);
    });
    if (!entries.length) {
      list.appendChild(el("li", "muted", "Nothing on the record yet."));
    }
    filterTimeline();
  }

  /* -- small form builders and keeping typed text across a refresh ---------------------------------- */

  function textField(form, id, name, labelText, value, rows, hint) {
    var wrap = el("div", "field");
    var lab = el("label", null, labelText);
    lab.htmlFor = id;
    wrap.appendChild(lab);
    var input = el("textarea");
    if (hint) {
      var h = el("p", "hint", hint);
      h.id = id + "-hint";
      wrap.appendChild(h);
      input.setAttribute("aria-describedby", h.id);
    }
    input.id = id;
    input.name = name;
    input.rows = rows || 2;
    input.maxLength = 5000;
    input.value = value;
    input.setAttribute("data-keep", "1");
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }

  function checkField(form, id, name, labelText, checked) {
    var wrap = el("div", "check");
    var input = el("input");
    input.type = "checkbox";
    input.id = id;
    input.name = name;
    input.checked = Boolean(checked);
    input.setAttribute("data-keep", "1");
    var lab = el("label", null, labelText);
    lab.htmlFor = id;
    wrap.appendChild(input);
    wrap.appendChild(lab);
    form.appendChild(wrap);
    return input;
  }

  function dateField(form, id, name, labelText, value) {
    var wrap = el("div", "field field--narrow");
    var lab = el("label", null, labelText);
    lab.htmlFor = id;
    var input = el("input");
    input.type = "date";
    input.id = id;
    input.name = name;
    input.value = value;
    input.setAttribute("data-keep", "1");
    wrap.appendChild(lab);
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }

  /* what was typed (and which forms were open) in a list about to be drawn again */
  function keepValues(container) {
    var kept = { values: {}, open: [] };
    container.querySelectorAll("[data-keep]").forEach(function (input) {
      kept.values[input.id] = input.type === "checkbox" ? input.checked : input.value;
    });
    container.querySelectorAll("details[open]").forEach(function (d) {
      if (d.id) {
        kept.open.push(d.id);
      }
    });
    kept.focus = document.activeElement && container.contains(document.activeElement) ? document.activeElement.id : null;
    return kept;
  }

  function restoreValues(kept) {
    Object.keys(kept.values).forEach(function (id) {
      var input = $(id);
      if (input) {
        if (input.type === "checkbox") {
          input.checked = kept.values[id];
        } else {
          input.value = kept.values[id];
        }
      }
    });
    kept.open.forEach(function (id) {
      if ($(id)) {
        $(id).open = true;
      }
    });
    if (kept.focus && $(kept.focus)) {
      $(kept.focus).focus();
    }
  }

  /* -- start ----------------------------------------------------------------------------------------- */

  function init() {
    fillFilterOptions();
    editors.acknowledgement = new LetterEditor(document.querySelector('[data-letter="acknowledgement"]'), "acknowledgement");
    editors.decline = new LetterEditor(document.querySelector('[data-letter="decline"]'), "decline", {
      linked: { reasons: { label: "Reasons the resident will be told", input: function () { return $("decline-reasons"); } } }
    });
    editors.extension = new LetterEditor(document.querySelector('[data-letter="extension"]'), "extension", {
      linked: { reason: { label: "Reason the resident will be told", input: function () { return $("extend-reason"); } } }
    });
    editors.response = new LetterEditor(document.querySelector('[data-letter="response"]'), "response", { auto: true });

    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    $("filter-form").addEventListener("submit", onFilter);
    $("filter-clear").addEventListener("click", onFilterClear);
    $("adj-form").addEventListener("submit", onAddAdjustment);
    $("rep-form").addEventListener("submit", onRepDecision);
    $("restrict-form").addEventListener("submit", onRestrict);
    $("def-form").addEventListener("submit", onDefinition);
    $("def-form").addEventListener("input", function () { defDirty = true; });
    $("ack-form").addEventListener("submit", onAcknowledge);
    $("decline-form").addEventListener("submit", onDecline);
    $("handler-form").addEventListener("submit", onHandler);
    $("escalate-form").addEventListener("submit", onEscalate);
    $("extend-form").addEventListener("submit", onExtend);
    $("respond-form").addEventListener("submit", onRespond);
    $("action-form").addEventListener("submit", onAddAction);
    $("close-form").addEventListener("submit", onClose);
    $("respond-fold").addEventListener("toggle", function () {
      if ($("respond-fold").open && !editors.response.loaded && kase && kase.data) {
        editors.response.reset();
        editors.response.load();
      }
    });
    $("letter-dialog").addEventListener("click", function (event) {
      if (event.target.hasAttribute("data-close") || event.target === $("letter-dialog")) {
        $("letter-dialog").close();
      }
    });
    $("timeline-show").addEventListener("change", filterTimeline);
    window.addEventListener("hashchange", onRoute);
    /* the counts in the top bar stay current while the page is open */
    setInterval(function () {
      if (me && !document.hidden) {
        refreshCounts();
      }
    }, COUNTS_EVERY_MS);
    if (token) {
      start();
    } else {
      showLogin("");
    }
  }

  init();
})();
