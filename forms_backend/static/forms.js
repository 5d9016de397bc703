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

  // A staff form sent after the session ended is not saved (auth.require_login); what was typed
  // is kept in this tab (sessionStorage, gone when the tab closes) from the moment it is sent
  // until the next page says what became of it: the login page marked data-unsaved-form → kept
  // for the page it was typed on, and put back there into empty fields once the same account is
  // logged in again; any other page → it was saved, or shown again with its errors → forgotten.
  var UNSENT = "guide-unsent-form";

  function staffName() {
    var el = document.querySelector(".header-user");
    return el ? el.textContent.trim() : "";
  }

  function rememberWhatIsSent() {
    if (!staffName()) { return; }
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      if (!form.querySelector("textarea")) { return; }
      form.addEventListener("submit", function () {
        var fields = {};
        form.querySelectorAll("textarea, input[type=text]").forEach(function (el) {
          if (el.name && el.value) { fields[el.name] = el.value; }
        });
        try {
          window.sessionStorage.setItem(UNSENT, JSON.stringify({
            page: window.location.pathname + window.location.search, action: form.getAttribute("action") || "",
            who: staffName(), fields: fields, lost: false }));
        } catch (e) { /* no storage: nothing kept, as before */ }
      });
    });
  }

  function settleWhatWasSent() {
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(UNSENT)); } catch (e) { return; }
    if (!saved) { return; }
    if (document.querySelector("[data-unsaved-form]")) {
      saved.lost = true;
      window.sessionStorage.setItem(UNSENT, JSON.stringify(saved));
      return;
    }
    if (!saved.lost) { window.sessionStorage.removeItem(UNSENT); return; }
    if (!staffName()) { return; }  // still logged out: keep it
    if (saved.who !== staffName()) { window.sessionStorage.removeItem(UNSENT); return; }  // another account
    if (saved.page !== window.location.pathname + window.location.search) { return; }
    window.sessionStorage.removeItem(UNSENT);
    var form = Array.prototype.filter.call(document.querySelectorAll("form[method=post]"), function (f) {
      return (f.getAttribute("action") || "") === saved.action;
    })[0];
    if (!form) { return; }
    var restored = 0;
    Object.keys(saved.fields).forEach(function (name) {
      var el = form.querySelector("textarea[name='" + name.replace(/'/g, "") + "'], input[type=text][name='" + name.replace(/'/g, "") + "']");
      if (el && !el.value) { el.value = saved.fields[name]; restored += 1; }
    });
    if (!restored) { return; }
    var notice = document.createElement("div");
    notice.className = "notice notice--warning unsent-restored";
    notice.setAttribute("role", "status");
    var p = document.createElement("p");
    p.textContent = "已填回退出登录前填写、尚未保存的内容。请检查后重新提交。";
    notice.appendChild(p);
    form.parentNode.insertBefore(notice, form);
    var first = form.querySelector("textarea");
    if (first) { first.focus({ preventScroll: true }); notice.scrollIntoView(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    followPalette();
    settleWhatWasSent();
    rememberWhatIsSent();
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
