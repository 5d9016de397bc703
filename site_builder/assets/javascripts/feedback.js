// Page feedback, progressively enhanced: the 是/否 links work without this file (they open the
// backend's small form). With it, a click records the vote in place — a CSRF token from
// /feedback/csrf, then a same-origin JSON POST — and the optional text box appears.
(function () {
  "use strict";

  function request(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    return fetch(url, options).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function post(url, token, body) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    });
  }

  function enhance(box) {
    var page = box.getAttribute("data-page");
    var votes = box.querySelectorAll(".guide-feedback__vote");
    var more = box.querySelector(".guide-feedback__more");
    var status = box.querySelector(".guide-feedback__status");
    var token = null;
    var voteId = null;
    var busy = false;
    if (!page || !votes.length || !more || !status || !window.fetch) { return; }

    function say(text) { status.textContent = text; }

    votes.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        if (busy) { return; }  // one vote per click
        busy = true;
        var helpful = link.getAttribute("data-helpful");
        votes.forEach(function (other) { other.setAttribute("aria-disabled", "true"); });
        say("正在提交…");
        request("/feedback/csrf").then(function (data) {
          token = data.token;
          return post("/feedback/page", token, { page: page, helpful: helpful });
        }).then(function (data) {
          voteId = data.vote;
          votes.forEach(function (other) {
            other.removeAttribute("aria-disabled");  // a second click changes the vote
            other.classList.toggle("guide-feedback__vote--chosen", other === link);
          });
          var label = more.querySelector("label");
          label.textContent = label.getAttribute(helpful === "yes" ? "data-label-yes" : "data-label-no");
          more.hidden = false;
          say("感谢您的反馈（您选择了“" + link.textContent.trim() + "”）。");
          more.querySelector("textarea").focus();
          busy = false;
        }).catch(function () {
          // The backend form does the same without JavaScript.
          window.location.href = link.href;
        });
      });
    });

    more.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = more.querySelector("textarea").value.trim();
      if (!text || voteId === null || busy) { return; }
      busy = true;
      say("正在提交…");
      post("/feedback/page/" + encodeURIComponent(voteId), token, { comment: text }).then(function () {
        more.hidden = true;
        say("已收到您的意见，谢谢！");
      }).catch(function () {
        say("提交没有成功，请稍后再试。");
      }).then(function () { busy = false; });
    });
  }

  function start() {
    document.querySelectorAll(".guide-feedback").forEach(enhance);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
