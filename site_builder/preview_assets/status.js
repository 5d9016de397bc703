/* guide preview only: show the content's errors as a banner over the page.
   `guide preview` writes status.json beside this file after every save; MkDocs live-reloads
   the page when it changes, and we also poll it in case the reload is missed. */
(function () {
  "use strict";
  var statusUrl = document.currentScript.src.replace(/status\.js(\?.*)?$/, "status.json");
  var shown = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function render(status) {
    var key = JSON.stringify(status);
    if (key === shown) return;
    shown = key;
    var old = document.getElementById("guide-preview-banner");
    if (old) old.remove();
    if (status.ok) return;
    var banner = el("section", "guide-preview-banner");
    banner.id = "guide-preview-banner";
    banner.setAttribute("role", "alert");
    banner.appendChild(el("h2", "guide-preview-banner__title",
      "内容有 " + (status.errors.length + status.more_errors) +
      " 处错误，预览仍显示上次有效的版本（content errors: this is the last valid version）"));
    var list = el("ol", "guide-preview-banner__errors");
    status.errors.forEach(function (e) {
      var item = el("li");
      item.appendChild(el("code", "guide-preview-banner__where", e.where));
      item.appendChild(document.createTextNode(" " + e.message + (e.hint ? " — " + e.hint : "")));
      list.appendChild(item);
    });
    banner.appendChild(list);
    if (status.more_errors) banner.appendChild(el("p", null, "… and " + status.more_errors + " more: run guide check"));
    if (status.warnings) banner.appendChild(el("p", "guide-preview-banner__warnings", status.warnings));
    document.body.insertBefore(banner, document.body.firstChild);
  }

  function poll() {
    fetch(statusUrl + "?t=" + Date.now(), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) render(s); })
      .catch(function () {});
  }
  poll();
  setInterval(poll, 2000);
})();
