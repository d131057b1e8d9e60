/* The managers' reports page. Everything comes from /api/v1/reports after login.
 *
 * - The login token is kept in sessionStorage under "staff_token" (with "staff_role" and "staff_name"),
 *   shared with the officer dashboard. A 401 shows the login form; a 403 says the reports are for managers.
 * - Charts are inline SVG built here with DOM methods (no libraries: the page's CSP is default-src 'self');
 *   each chart has a table beside it with the same numbers.
 * - Downloads (CSV, the draft annual report) are fetched with the token and saved from a Blob.
 * - Everything from the record (categories, learning) goes in with textContent, never as HTML.
 */
(function () {
  "use strict";

  var KEY_TOKEN = "staff_token";
  var KEY_ROLE = "staff_role";
  var KEY_NAME = "staff_name";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var REQUEST_TIMEOUT_MS = 30000;
  var YEARS_BACK = 4;

  var token = storageGet(KEY_TOKEN);
  var currentYear = null;
  var ui = {};

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

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, String(attrs[k]));
    });
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
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

  function fmt(value, suffix) {
    if (value === null || value === undefined) {
      return "–";
    }
    return String(value) + (suffix || "");
  }

  function yearLabel(y) {
    var next = (y + 1) % 100;
    return y + "/" + (next < 10 ? "0" + next : String(next));
  }

  function errorText(data, status) {
    if (data && typeof data.detail === "string") {
      return data.detail;
    }
    if (status === 0) {
      return "The server could not be reached. Check the connection and try again.";
    }
    return "Something went wrong (" + status + "). Please try again.";
  }

  /* -- the API ------------------------------------------------------------------------------------- */

  function send(method, path, body, accept) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var init = { method: method, headers: { Accept: accept || "application/json" }, cache: "no-store" };
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
    return fetch(path, init).finally(function () {
      clearTimeout(timer);
    });
  }

  function api(method, path, body) {
    return send(method, path, body)
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
        if (result.status === 401) {
          signedOut("Your session has ended. Please sign in again.");
        } else if (result.status === 403) {
          showForbidden();
        }
        return result;
      });
  }

  /* -- views --------------------------------------------------------------------------------------- */

  function showOnly(view) {
    ui.loginView.hidden = view !== "login";
    ui.forbiddenView.hidden = view !== "forbidden";
    ui.reportsView.hidden = view !== "reports";
    ui.userBar.hidden = view === "login";
  }

  function showLogin(message) {
    showOnly("login");
    ui.loginError.textContent = message || "";
    ui.loginEmail.focus();
  }

  function signedOut(message) {
    token = null;
    storageSet(KEY_TOKEN, null);
    storageSet(KEY_ROLE, null);
    storageSet(KEY_NAME, null);
    showLogin(message);
  }

  function showForbidden() {
    var role = storageGet(KEY_ROLE);
    var who = role ? " You are signed in as " + (role === "officer" || role === "agent" ? "an " + role : "a " + role) + "." : "";
    ui.forbiddenText.textContent = "The complaints reports are for managers only." + who + " Ask a manager if you need them.";
    showOnly("forbidden");
  }

  function showError(message) {
    ui.globalError.textContent = message || "";
  }

  function signedIn() {
    ui.userName.textContent = storageGet(KEY_NAME) || "";
    loadYears();
  }

  function onLogin(event) {
    event.preventDefault();
    var email = ui.loginEmail.value.trim();
    var password = ui.loginPassword.value;
    if (!email || !password) {
      ui.loginError.textContent = "Enter your email address and password.";
      return;
    }
    ui.loginSubmit.disabled = true;
    send("POST", "/api/v1/auth/login", { email: email, password: password })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .catch(function () {
        return { ok: false, status: 0, data: null };
      })
      .then(function (r) {
        ui.loginSubmit.disabled = false;
        if (!r.ok) {
          ui.loginError.textContent = r.status === 401 ? "The email address or password is not right." : errorText(r.data, r.status);
          return;
        }
        token = r.data.token;
        storageSet(KEY_TOKEN, token);
        storageSet(KEY_ROLE, r.data.role);
        storageSet(KEY_NAME, r.data.name);
        ui.loginPassword.value = "";
        signedIn();
      });
  }

  function onLogout() {
    send("POST", "/api/v1/auth/logout").catch(function () { return null; });
    signedOut("You have logged out.");
  }

  /* -- years and homes ----------------------------------------------------------------------------- */

  var storedHomes = {};

  function loadYears() {
    api("GET", "/api/v1/reports/years").then(function (r) {
      if (!r.ok) {
        if (r.status !== 401 && r.status !== 403) {
          showError(r.error);
        }
        return;
      }
      showOnly("reports");
      storedHomes = {};
      var years = {};
      for (var y = r.data.current_year; y >= r.data.current_year - YEARS_BACK && y >= 2024; y--) {
        years[y] = true;
      }
      r.data.years.forEach(function (row) {
        storedHomes[row.year] = row.homes;
        years[row.year] = true;
      });
      clear(ui.year);
      Object.keys(years)
        .map(Number)
        .sort(function (a, b) { return b - a; })
        .forEach(function (year) {
          var option = el("option", null, yearLabel(year) + (year === r.data.current_year ? " (current)" : ""));
          option.value = String(year);
          ui.year.appendChild(option);
        });
      var chosen = currentYear !== null && years[currentYear] ? currentYear : r.data.current_year;
      ui.year.value = String(chosen);
      loadYear(chosen);
    });
  }

  function onHomes(event) {
    event.preventDefault();
    var homes = Number(ui.homes.value);
    if (!ui.homes.value || !Number.isInteger(homes) || homes < 1) {
      ui.homesStatus.textContent = "Enter the number of homes as a whole number, 1 or more.";
      return;
    }
    ui.homesStatus.textContent = "Saving…";
    api("PUT", "/api/v1/reports/years/" + currentYear, { homes: homes }).then(function (r) {
      if (!r.ok) {
        ui.homesStatus.textContent = r.error;
        return;
      }
      storedHomes[currentYear] = r.data.homes;
      ui.homesStatus.textContent = "Saved: " + r.data.homes + " homes in " + r.data.label + ".";
      loadTsm(currentYear, null);
    });
  }

  /* -- one year's reports -------------------------------------------------------------------------- */

  function loadYear(year) {
    currentYear = year;
    showError("");
    ui.yearLabel.textContent = yearLabel(year);
    ui.homes.value = storedHomes[year] !== undefined ? String(storedHomes[year]) : "";
    ui.homesStatus.textContent = storedHomes[year] !== undefined ? "" : "No homes count stored for " + yearLabel(year) + " yet.";
    api("GET", "/api/v1/reports/summary?year=" + year + "&learning_limit=50").then(function (r) {
      if (!r.ok) {
        if (r.status !== 401 && r.status !== 403) {
          showError(r.error);
        }
        return;
      }
      renderSummary(r.data);
      loadTsm(year, r.data);
    });
  }

  var lastSummary = null;

  function loadTsm(year, summary) {
    summary = summary || lastSummary;
    lastSummary = summary;
    api("GET", "/api/v1/reports/tsm?year=" + year).then(function (r) {
      if (r.ok) {
        ui.tsmNote.textContent = "For " + r.data.homes + " homes. CH01: complaints per 1,000 homes. CH02: share of responses within the Code's timescales.";
        renderTsm(r.data.stages);
      } else if (r.status === 422 && summary) {
        ui.tsmNote.textContent = "CH01 needs the number of homes: enter it above. CH02 is shown from the responses sent.";
        renderTsm(
          summary.timeliness
            .filter(function (t) { return t.step === "respond"; })
            .map(function (t) {
              var stage = summary.stages[t.stage - 1];
              return {
                stage: t.stage,
                received: stage.counted,
                per_1000_homes: null,
                responded: t.count,
                pct_within_original: t.pct_within,
                pct_within_extended: t.pct_within_extended
              };
            })
        );
      } else if (r.status !== 401 && r.status !== 403) {
        showError(r.error);
      }
    });
  }

  function isNumeric(cell) {
    return typeof cell === "number" || cell === null || /^(–|\d[\d.,]*%?)$/.test(String(cell));
  }

  /* -- tables -------------------------------------------------------------------------------------- */

  function table(node, caption, headers, rows) {
    clear(node);
    node.appendChild(el("caption", "visually-hidden", caption));
    var head = el("thead");
    var tr = el("tr");
    headers.forEach(function (h, i) {
      var th = el("th", i ? "num" : null, h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    head.appendChild(tr);
    node.appendChild(head);
    var body = el("tbody");
    if (!rows.length) {
      var empty = el("tr");
      var td = el("td", "muted", "Nothing to show for this year.");
      td.colSpan = headers.length;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    rows.forEach(function (row) {
      var line = el("tr");
      row.forEach(function (cell, i) {
        if (i === 0) {
          var th = el("th", null, fmt(cell));
          th.setAttribute("scope", "row");
          line.appendChild(th);
        } else {
          line.appendChild(el("td", isNumeric(cell) ? "num" : null, fmt(cell)));
        }
      });
      body.appendChild(line);
    });
    node.appendChild(body);
  }

  /* -- charts (inline SVG, horizontal bars, stage 1 and stage 2 side by side) ---------------------- */

  function barChart(container, title, rows, opts) {
    opts = opts || {};
    clear(container);
    var series = opts.series || ["Stage 1", "Stage 2"];
    var max = opts.max || 0;
    rows.forEach(function (row) {
      row.values.forEach(function (v) {
        if (v !== null && v > max) {
          max = v;
        }
      });
    });
    if (!rows.length || max === 0) {
      container.appendChild(el("p", "muted", title + ": nothing to chart for this year."));
      return;
    }
    var labelWidth = 190;
    var barArea = 300;
    var barHeight = 14;
    var gap = 3;
    var rowHeight = series.length * (barHeight + gap) + 10;
    var legendHeight = 24;
    var width = labelWidth + barArea + 70;
    var height = legendHeight + rows.length * rowHeight;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img", class: "bars", preserveAspectRatio: "xMinYMin meet" });
    var summary = rows
      .map(function (row) {
        return row.label + ": " + row.values.map(function (v, i) { return series[i] + " " + fmt(v, opts.unit); }).join(", ");
      })
      .join("; ");
    root.appendChild(svg("title", {}, title));
    root.appendChild(svg("desc", {}, summary));
    root.setAttribute("aria-label", title + ". " + summary);
    series.forEach(function (name, i) {
      var x = labelWidth + i * 120;
      root.appendChild(svg("rect", { x: x, y: 4, width: 12, height: 12, class: "bar bar--s" + (i + 1) }));
      root.appendChild(svg("text", { x: x + 18, y: 14, class: "legend" }, name));
    });
    rows.forEach(function (row, r) {
      var top = legendHeight + r * rowHeight;
      var label = row.label.length > 30 ? row.label.slice(0, 29) + "…" : row.label;
      var text = svg("text", { x: labelWidth - 8, y: top + rowHeight / 2, class: "label", "text-anchor": "end", "dominant-baseline": "middle" }, label);
      text.appendChild(svg("title", {}, row.label));
      root.appendChild(text);
      row.values.forEach(function (v, i) {
        var y = top + i * (barHeight + gap);
        var w = v === null ? 0 : Math.max(v > 0 ? 1 : 0, Math.round((v / max) * barArea));
        var bar = svg("rect", { x: labelWidth, y: y, width: w, height: barHeight, class: "bar bar--s" + (i + 1) });
        bar.appendChild(svg("title", {}, row.label + ", " + series[i] + ": " + fmt(v, opts.unit)));
        root.appendChild(bar);
        root.appendChild(svg("text", { x: labelWidth + w + 4, y: y + barHeight - 3, class: "value" }, fmt(v, opts.unit)));
      });
    });
    container.appendChild(root);
  }

  function splitRows(rows) {
    return rows.map(function (r) {
      return { label: r.label, values: [r.stage1, r.stage2] };
    });
  }

  /* -- rendering ----------------------------------------------------------------------------------- */

  function renderTsm(stages) {
    table(
      ui.tsmTable,
      "Tenant Satisfaction Measures CH01 and CH02",
      ["Stage", "Complaints received (CH01)", "Per 1,000 homes (CH01)", "Responses sent", "Within original timescale (CH02)", "Within timescale incl. extensions (CH02)"],
      stages.map(function (s) {
        return ["Stage " + s.stage, s.received, s.per_1000_homes, s.responded, fmt(s.pct_within_original, "%"), fmt(s.pct_within_extended, "%")];
      })
    );
    barChart(
      ui.tsmChart,
      "CH02: responses within the Code's timescales",
      [
        { label: "Within original timescale", values: stages.map(function (s) { return s.pct_within_original; }) },
        { label: "Including extensions", values: stages.map(function (s) { return s.pct_within_extended; }) }
      ],
      { max: 100, unit: "%" }
    );
  }

  function renderSummary(s) {
    table(
      ui.stagesTable,
      "Complaints by stage",
      ["Stage", "Received", "Declined", "Counted (CH01)", "Responded", "Withdrawn"],
      s.stages.map(function (v) { return ["Stage " + v.stage, v.received, v.declined, v.counted, v.responded, v.withdrawn]; })
    );
    var splitHeaders = function (first) { return [first, "Stage 1", "Stage 2"]; };
    var splitTable = function (rows) { return rows.map(function (r) { return [r.label, r.stage1, r.stage2]; }); };
    table(ui.categoryTable, "Complaints by category", splitHeaders("Category"), splitTable(s.by_category));
    barChart(ui.categoryChart, "Complaints by category", splitRows(s.by_category));
    table(ui.channelTable, "Complaints by channel", splitHeaders("Channel"), splitTable(s.by_channel));
    barChart(ui.channelChart, "Complaints by channel", splitRows(s.by_channel));
    table(ui.outcomeTable, "Outcomes", splitHeaders("Outcome"), splitTable(s.by_outcome));
    barChart(ui.outcomeChart, "Outcomes", splitRows(s.by_outcome));
    table(ui.declinedTable, "Complaints declined, by ground", splitHeaders("Ground"), splitTable(s.declined));
    var steps = { acknowledge: "Acknowledge", respond: "Respond" };
    table(
      ui.timeTable,
      "Time to acknowledge and respond, in working days",
      ["Stage and step", "Timescale (working days)", "Count", "Median", "Mean", "Within timescale", "Within incl. extensions"],
      s.timeliness.map(function (t) {
        return [
          "Stage " + t.stage + ": " + steps[t.step],
          t.timescale_working_days,
          t.count,
          t.median_working_days,
          t.mean_working_days,
          fmt(t.pct_within, "%"),
          t.step === "respond" ? fmt(t.pct_within_extended, "%") : "–"
        ];
      })
    );
    barChart(
      ui.timeChart,
      "Share within timescale",
      s.timeliness.map(function (t) { return { label: "Stage " + t.stage + ": " + steps[t.step], values: [t.pct_within] }; }),
      { max: 100, unit: "%", series: ["Within timescale"] }
    );
    table(
      ui.overdueTable,
      "Open complaints overdue today",
      ["Stage", "Acknowledgement overdue", "Response overdue", "Total"],
      s.overdue.map(function (o) { return ["Stage " + o.stage, o.acknowledge, o.respond, o.total]; })
    );
    ui.learningNote.textContent =
      s.learning_total + " complaints closed in " + s.year + " with their learning recorded" + (s.learning_total > s.learning.length ? "; the newest " + s.learning.length + " are shown, and the summary CSV has them all." : ".");
    table(
      ui.learningTable,
      "Learning log",
      ["Reference", "Closed on", "Stage", "Category", "Learning"],
      s.learning.map(function (e) { return [e.reference, e.closed_on, "Stage " + e.stage, e.category || "Not categorised", e.learning]; })
    );
  }

  /* -- downloads ----------------------------------------------------------------------------------- */

  function filenameFrom(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : fallback;
  }

  function download(path, fallback) {
    ui.downloadStatus.textContent = "Preparing " + fallback + "…";
    send("GET", path, undefined, "*/*")
      .then(function (response) {
        if (response.status === 401) {
          signedOut("Your session has ended. Please sign in again.");
          return null;
        }
        if (response.status === 403) {
          showForbidden();
          return null;
        }
        if (!response.ok) {
          return response.json().then(function (data) {
            ui.downloadStatus.textContent = errorText(data, response.status);
            return null;
          }, function () {
            ui.downloadStatus.textContent = errorText(null, response.status);
            return null;
          });
        }
        var name = filenameFrom(response, fallback);
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = el("a");
          a.href = url;
          a.download = name;
          a.hidden = true;
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
          ui.downloadStatus.textContent = "Downloaded " + name + ".";
          return null;
        });
      })
      .catch(function () {
        ui.downloadStatus.textContent = errorText(null, 0);
      });
  }

  function downloadLink(id, pathFor, fallbackFor) {
    $(id).addEventListener("click", function (event) {
      event.preventDefault();
      download(pathFor(currentYear), fallbackFor(currentYear));
    });
  }

  /* -- start --------------------------------------------------------------------------------------- */

  function start() {
    [
      "loginView", "login-view", "forbiddenView", "forbidden-view", "forbiddenText", "forbidden-text", "reportsView", "reports-view",
      "userBar", "user-bar", "userName", "user-name", "globalError", "global-error", "loginForm", "login-form", "loginError", "login-error",
      "loginEmail", "login-email", "loginPassword", "login-password", "loginSubmit", "login-submit", "year", "year", "yearLabel", "year-label",
      "homesForm", "homes-form", "homes", "homes", "homesStatus", "homes-status", "downloadStatus", "download-status",
      "tsmNote", "tsm-note", "tsmChart", "tsm-chart", "tsmTable", "tsm-table", "stagesTable", "stages-table",
      "categoryChart", "category-chart", "categoryTable", "category-table", "channelChart", "channel-chart", "channelTable", "channel-table",
      "outcomeChart", "outcome-chart", "outcomeTable", "outcome-table", "declinedTable", "declined-table", "timeChart", "time-chart",
      "timeTable", "time-table", "overdueTable", "overdue-table", "learningNote", "learning-note", "learningTable", "learning-table"
    ].forEach(function (name, i, all) {
      if (i % 2 === 0) {
        ui[name] = $(all[i + 1]);
      }
    });
    ui.loginForm.addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    ui.homesForm.addEventListener("submit", onHomes);
    ui.year.addEventListener("change", function () { loadYear(Number(ui.year.value)); });
    var label = function (y) { return y + "-" + ((y + 1) % 100 < 10 ? "0" : "") + ((y + 1) % 100); };
    downloadLink("dl-summary-csv", function (y) { return "/api/v1/reports/summary.csv?year=" + y; }, function (y) { return "complaints-summary-" + label(y) + ".csv"; });
    downloadLink("dl-tsm-csv", function (y) { return "/api/v1/reports/tsm.csv?year=" + y; }, function (y) { return "tsm-" + label(y) + ".csv"; });
    downloadLink("dl-annual-html", function (y) { return "/api/v1/reports/annual?format=html&year=" + y; }, function (y) { return "annual-complaints-report-" + label(y) + ".html"; });
    downloadLink("dl-annual-pdf", function (y) { return "/api/v1/reports/annual?format=pdf&year=" + y; }, function (y) { return "annual-complaints-report-" + label(y) + ".pdf"; });
    if (token) {
      signedIn();
    } else {
      showLogin("");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
