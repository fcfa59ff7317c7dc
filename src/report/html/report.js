// report.html's only script: filters, search and expansion of the case list, and views of one
// section (#only=coverage). The page is complete without it; #script-status says whether it ran
// without an error (the browser test reads it from the rendered DOM).
(function () {
  "use strict";
  var status = document.getElementById("script-status");
  var errors = [];
  function mark() {
    if (errors.length) {
      status.setAttribute("data-state", "error");
      status.textContent = "script error: " + errors.join("; ");
    }
  }
  window.addEventListener("error", function (event) {
    errors.push(String(event.message || event.error || "unknown error"));
    mark();
  });

  function main() {
    var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
    var toolbar = document.getElementById("toolbar");
    var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button[data-status]"));
    var level = document.getElementById("filter-level");
    var search = document.getElementById("filter-text");
    var count = document.getElementById("filter-count");
    var none = document.getElementById("no-match");
    var wanted = "all";

    function apply() {
      var text = search.value.trim().toLowerCase();
      var shown = 0;
      cases.forEach(function (c) {
        var ok = (wanted === "all" || c.getAttribute("data-status") === wanted) &&
          (level.value === "all" || c.getAttribute("data-level") === level.value) &&
          (!text || c.getAttribute("data-search").indexOf(text) >= 0);
        c.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = "showing " + shown + " of " + cases.length;
      none.hidden = shown !== 0;
    }
    function choose(status) {
      wanted = status;
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-status") === status));
      });
      apply();
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { choose(b.getAttribute("data-status")); });
    });
    level.addEventListener("change", apply);
    search.addEventListener("input", apply);
    document.getElementById("expand").addEventListener("click", function () {
      cases.forEach(function (c) { if (!c.hidden) { c.open = true; } });
    });
    document.getElementById("collapse").addEventListener("click", function () {
      cases.forEach(function (c) { c.open = false; });
    });

    function follow() {
      var hash = decodeURIComponent(window.location.hash.slice(1));
      if (hash.indexOf("only=") === 0) {
        document.body.setAttribute("data-only", hash.slice(5));
        return;
      }
      document.body.removeAttribute("data-only");
      if (hash.indexOf("filter=") === 0) {
        choose(hash.slice(7));
        return;
      }
      if (hash.indexOf("case-") === 0) {
        var target = document.getElementById(hash);
        if (target) {
          choose("all");
          target.open = true;
          target.scrollIntoView();
        }
      }
    }
    window.addEventListener("hashchange", follow);
    toolbar.hidden = false;
    // Failures first: a run with failures opens on them.
    var failed = cases.some(function (c) { return c.getAttribute("data-status") === "failed"; });
    choose(failed ? "failed" : "all");
    follow();
    status.setAttribute("data-cases", String(cases.length));
  }

  try {
    main();
  } catch (e) {
    errors.push(String((e && e.message) || e));
  }
  if (errors.length) {
    mark();
  } else {
    status.setAttribute("data-state", "ok");
    status.textContent = "interactive view ready";
  }
})();
