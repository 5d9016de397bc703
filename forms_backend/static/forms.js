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

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      // Screen readers announce the summary; the keyboard starts at its links.
      summary.focus();
    } else {
      focusField(window.location.hash);
    }
    window.addEventListener("hashchange", function () { focusField(window.location.hash); });
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
