// supportdesk web desk: small progressive enhancements. Every page works without this file.
// - live triage on the ticket form (debounced; secrets masked before the text leaves the page)
// - lazy fragments (data-load), live SLA countdowns, keyboard shortcuts
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // --- secrets: the policy's patterns, translated by the server to JavaScript syntax ---------
  function secretPatterns() {
    var el = document.getElementById("secret-patterns");
    if (!el) return [];
    var out = [];
    try {
      JSON.parse(el.textContent).forEach(function (p) {
        try { out.push(new RegExp(p, "g")); } catch (e) { /* a pattern JS cannot parse */ }
      });
    } catch (e) { /* no patterns */ }
    return out;
  }
  function mask(text, patterns) {
    var found = false;
    patterns.forEach(function (rx) {
      text = text.replace(rx, function (m) {
        found = true;
        var groups = arguments[arguments.length - 1];
        if (groups && typeof groups === "object" && groups.secret) {
          return m.replace(groups.secret, "[redacted]");
        }
        return "[redacted]";
      });
    });
    return { text: text, found: found };
  }

  // --- live triage ---------------------------------------------------------------------------
  function livePreview(form) {
    var target = document.getElementById("triage");
    var warning = document.getElementById("secret-warning");
    var patterns = secretPatterns();
    var timer = null, seq = 0;
    function send() {
      var data = new FormData();
      var anySecret = false;
      ["subject", "description"].forEach(function (name) {
        var m = mask(form.elements[name].value, patterns);
        anySecret = anySecret || m.found;
        data.append(name, m.text);
      });
      ["category", "tenant_id"].forEach(function (name) { data.append(name, form.elements[name].value); });
      var sev = form.querySelector('input[name="severity"]:checked');
      data.append("severity", sev ? sev.value : "");
      if (warning) warning.hidden = !anySecret;
      var mine = ++seq;
      fetch(form.dataset.preview, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" }
      }).then(function (r) { return r.text(); }).then(function (html) {
        if (mine === seq) { target.innerHTML = html; target.setAttribute("aria-busy", "false"); }
      }).catch(function () { /* the preview is a convenience; the form still works */ });
    }
    function later() {
      clearTimeout(timer);
      target.setAttribute("aria-busy", "true");
      timer = setTimeout(send, 400);
    }
    form.addEventListener("input", function (e) {
      if (e.target.type !== "file") later();
    });
    form.addEventListener("change", function (e) {
      if (e.target.type !== "file") later();
    });
    if (form.elements.description.value || form.elements.subject.value) send();
  }

  // --- lazy fragments ----------------------------------------------------------------------
  function loadFragments() {
    document.querySelectorAll("[data-load]").forEach(function (el) {
      fetch(el.dataset.load, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { el.innerHTML = html; })
        .catch(function () {});
    });
  }

  // --- countdowns ----------------------------------------------------------------------------
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60);
    var txt = d ? d + "d " + h + "h" : h ? h + "h " + String(m).padStart(2, "0") + "m" : m ? m + "m" : (s % 60) + "s";
    return ms >= 0 ? "in " + txt : txt + " overdue";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(due)) el.textContent = fmt(due - now);
    });
  }

  // --- keyboard shortcuts ------------------------------------------------------------------
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function shortcuts() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-nav-list] tbody tr"));
    var cur = -1;
    function select(i) {
      if (!rows.length) return;
      cur = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (r, k) { r.classList.toggle("selected", k === cur); });
      var link = rows[cur].querySelector("a");
      if (link) link.focus();
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
      var k = e.key;
      if (rows.length && (k === "j" || k === "k")) { select(cur + (k === "j" ? 1 : -1)); e.preventDefault(); return; }
      if (k === "/") {
        var f = document.querySelector(".filters select, .filters input");
        if (f) { f.focus(); e.preventDefault(); }
        return;
      }
      var el = document.querySelector('[data-key="' + k + '"]');
      if (el) {
        e.preventDefault();
        if (/^(TEXTAREA|INPUT|SELECT)$/.test(el.tagName)) { el.focus(); el.scrollIntoView({ block: "center" }); }
        else el.click();
        return;
      }
      var det = document.querySelector('[data-key-target="' + k + '"]');
      if (det) {
        e.preventDefault();
        det.open = true;
        var first = det.querySelector("select, textarea, input:not([type=hidden])");
        if (first) first.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("new-ticket");
    if (form && form.dataset.preview) livePreview(form);
    loadFragments();
    if (document.querySelector("time[data-countdown]")) { tick(); setInterval(tick, 1000); }
    shortcuts();
  });
})();
