// Progressive enhancement only: every page works without this file.
(function () {
  // Browsers scroll to a #field-... target but do not focus it (and skip autofocus when the URL
  // has a target), so a change link or an error-summary link leaves the keyboard elsewhere.
  function focusField(hash) {
    if (!hash || hash.length < 2) { return false; }
    var el = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!el || !/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) { return false; }
    el.focus({ preventScroll: true });
    var group = el.closest(".form-group");
    (group || el).scrollIntoView();
    return true;
  }

  // The guide's palette toggle (light/dark) is remembered by Material under "<site root>.__palette";
  // forms, tracking and receipts follow the reader's choice.
  function followPalette() {
    try {
      var saved = JSON.parse(window.localStorage.getItem("/.__palette"));
      if (saved && saved.color) {
        ["scheme", "primary", "accent"].forEach(function (key) {
          if (saved.color[key]) { document.body.setAttribute("data-md-color-" + key, saved.color[key]); }
        });
      }
    } catch (e) { /* no storage, or not ours: keep the guide's default */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    followPalette();
    var summary = document.querySelector(".error-summary");
    if (summary) {
      // Screen readers announce the summary; the keyboard starts at its links.
      summary.focus();
    } else {
      focusField(window.location.hash);
    }
    window.addEventListener("hashchange", function () { focusField(window.location.hash); });
    // Conditional questions (YAML show_if): without JavaScript they are always shown with a
    // hint; here they appear only when their answer is chosen (GOV.UK conditional reveal).
    document.querySelectorAll("[data-show-if]").forEach(function (group) {
      var form = group.closest("form");
      var name = group.getAttribute("data-show-if");
      var value = group.getAttribute("data-show-if-value");
      var hint = group.querySelector(".conditional__hint");
      function update() {
        var on = false;
        form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
          if (input.tagName === "SELECT") { on = on || input.value === value; }
          else if (input.checked && input.value === value) { on = true; }
        });
        group.hidden = !on && !group.classList.contains("form-group--error");
      }
      if (hint) { hint.hidden = true; }
      form.addEventListener("change", update);
      update();
    });
    // A table (or chart) wider than the screen scrolls inside its box (staff.css); a box that scrolls is
    // made a named, focusable region so that the keyboard can scroll it too.
    function scrollRegions() {
      document.querySelectorAll(".table-wrap, .chart-data, .chart-image").forEach(function (box) {
        if (box.scrollWidth > box.clientWidth + 1) {
          var caption = box.querySelector("caption, svg > title");
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "表格") + "（可左右滚动）");
        } else if (box.getAttribute("role") === "region") {
          ["tabindex", "role", "aria-label"].forEach(function (a) { box.removeAttribute(a); });
        }
      });
    }
    scrollRegions();
    window.addEventListener("resize", scrollRegions);
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
