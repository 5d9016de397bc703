/* The guide's search, the same on every site engine (index: site_builder/search.py).
 *
 * A query is cut into words with the index's vocabulary (longest match first), question words
 * (怎么, 如何 …) are dropped, everyday words that name a section (多少钱 → 收费标准) become an
 * intent, and every remaining word must occur in the page. Ranking, highest first: an editor's
 * best bet; a query equal to a page's title or other name (a policy's 简称); equal to an alias;
 * words in the title or name; in an alias; in a heading; in the text.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-guide-search]");
  if (!root) return;
  var opener = root.querySelector(".guide-search__open");
  var dialog = root.querySelector("dialog");
  var input = root.querySelector(".guide-search__input");
  var meta = root.querySelector(".guide-search__meta");
  var list = root.querySelector(".guide-search__results");
  var closer = root.querySelector(".guide-search__close");
  var indexUrl = root.getAttribute("data-index");
  var siteRoot = indexUrl.replace(/search\/index\.json$/, "");
  var KIND = {service: "服务事项", policy: "政策法规", flow: "办理流程", family: "服务类别", about: "说明", home: "首页", page: "页面"};
  var KIND_BONUS = {service: 3, policy: 2, flow: 1};
  var MAX_PAGES = 30;

  var index = null;
  var loading = null;

  function normalize(s) {
    return (s || "").normalize("NFKC").toLowerCase();
  }

  function load() {
    if (!loading) {
      loading = fetch(indexUrl).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(prepare);
    }
    return loading;
  }

  function prepare(data) {
    var dict = Object.create(null);
    var intentOf = Object.create(null);
    var stop = Object.create(null);
    var maxLen = 1;
    function add(w) {
      w = normalize(w);
      dict[w] = true;
      if (w.length > maxLen) maxLen = w.length;
      return w;
    }
    data.vocab.forEach(add);
    data.stop.forEach(function (w) { stop[add(w)] = true; });
    data.intents.forEach(function (it) {
      it.words.forEach(function (w) { intentOf[add(w)] = it.heading; });
    });
    data.pages.forEach(function (p) {
      p.tl = squeeze(p.t);
      p.nl = [p.tl].concat(p.n.map(squeeze));  // the title and the page's other names
      p.al = p.a.map(squeeze);
      p.docs = [];
    });
    var corpus = [];
    data.docs.forEach(function (d) {
      d.hl = normalize(d.h);
      d.xl = normalize(d.x);
      data.pages[d.p].docs.push(d);
      corpus.push(d.hl, d.xl);
    });
    var bets = Object.create(null);
    Object.keys(data.bets).forEach(function (q) { bets[key(q)] = data.bets[q]; });
    index = {pages: data.pages, dict: dict, stop: stop, intentOf: intentOf, maxLen: maxLen,
             corpus: corpus.join("\n"), bets: bets};
    return index;
  }

  // Titles and names are compared without spaces: "TSG 08" is typed as "tsg08" or "tsg 08".
  function squeeze(s) {
    return normalize(s).replace(/\s+/g, "");
  }

  function key(q) {
    return normalize(q).replace(/[\s\p{P}\p{S}]+/gu, "");
  }

  var LATIN = /[a-z0-9]/;

  // Cut a query into words: the longest vocabulary word at each position; a run of Latin
  // letters and digits stays together; an unknown Han run takes the longest piece (2–4
  // characters) that occurs in the guide, else one character.
  function tokens(query) {
    var out = [];
    normalize(query).split(/[\s\p{P}\p{S}]+/u).forEach(function (chunk) {
      var i = 0;
      while (i < chunk.length) {
        var found = "";
        for (var n = Math.min(index.maxLen, chunk.length - i); n >= 2; n--) {
          if (index.dict[chunk.substr(i, n)]) { found = chunk.substr(i, n); break; }
        }
        if (!found && LATIN.test(chunk[i])) {
          var j = i;
          while (j < chunk.length && LATIN.test(chunk[j])) j++;
          found = chunk.slice(i, j);
        }
        if (!found) {
          for (var m = Math.min(4, chunk.length - i); m >= 2; m--) {
            if (index.corpus.indexOf(chunk.substr(i, m)) !== -1) { found = chunk.substr(i, m); break; }
          }
        }
        found = found || chunk[i];
        out.push(found);
        i += found.length;
      }
    });
    return out;
  }

  function parse(query) {
    var terms = [];
    var intent = null;
    tokens(query).forEach(function (t) {
      if (index.intentOf[t]) intent = index.intentOf[t];
      else if (!index.stop[t] && terms.indexOf(t) === -1) terms.push(t);
    });
    return {terms: terms, intent: intent, whole: terms.join("")};
  }

  function scorePage(p, q) {
    var score = 0;
    var hits = [];
    for (var i = 0; i < q.terms.length; i++) {
      var t = q.terms[i];
      var best = 0;
      if (p.nl.some(function (x) { return x.indexOf(t) !== -1; })) best = 30;
      for (var a = 0; a < p.al.length; a++) {
        if (p.al[a] === t) best = Math.max(best, 40);
        else if (p.al[a].indexOf(t) !== -1) best = Math.max(best, 25);
      }
      for (var d = 0; d < p.docs.length && best < 10; d++) {
        var doc = p.docs[d];
        if (doc.hl.indexOf(t) !== -1) best = Math.max(best, 10);
        else if (doc.xl.indexOf(t) !== -1) best = Math.max(best, 2);
      }
      if (!best) return null;  // every word must occur in the page
      score += best;
    }
    if (q.whole) {
      if (p.nl.indexOf(q.whole) !== -1) score += 300;
      else if (p.al.indexOf(q.whole) !== -1) score += 200;
      else if (q.terms.length > 1 && p.nl.some(function (x) { return x.indexOf(q.whole) !== -1; })) score += 60;
      else if (q.terms.length > 1 && p.al.some(function (x) { return x.indexOf(q.whole) !== -1; })) score += 40;
    }
    var target = null;
    if (q.intent) {
      target = p.docs.filter(function (doc) { return doc.h === q.intent; })[0] || null;
      if (target) score += 15;
      else if (!q.terms.length) return null;
    }
    p.docs.forEach(function (doc) {
      if (doc === target || doc.u.indexOf("#") === -1) return;
      if (q.terms.some(function (t) { return doc.hl.indexOf(t) !== -1 || doc.xl.indexOf(t) !== -1; })) hits.push(doc);
    });
    score += (KIND_BONUS[p.k] || 0) - p.t.length / 1000;
    return {page: p, score: score, target: target, hits: hits.slice(0, 2)};
  }

  function search(query) {
    var q = parse(query);
    var results = [];
    var pinned = index.bets[key(query)] || [];
    if (q.terms.length || q.intent) {
      index.pages.forEach(function (p) {
        var r = scorePage(p, q);
        if (r) results.push(r);
      });
    }
    pinned.forEach(function (url, i) {
      var r = results.filter(function (x) { return x.page.u === url.split("#")[0]; })[0];
      if (!r) {
        var p = index.pages.filter(function (x) { return x.u === url.split("#")[0]; })[0];
        if (!p) return;
        r = {page: p, target: null, hits: []};
        results.push(r);
      }
      if (url.indexOf("#") !== -1) r.target = r.page.docs.filter(function (d) { return d.u === url; })[0] || r.target;
      r.score = 1e6 - i;
      r.bet = true;
    });
    results.sort(function (a, b) { return b.score - a.score; });
    return {query: q, results: results};
  }

  // Text around the first query word; without one, the first sentence (a page's summary).
  function snippet(text, terms) {
    var lower = normalize(text);
    var at = -1;
    for (var i = 0; i < terms.length && at === -1; i++) at = lower.indexOf(terms[i]);
    if (at === -1) {
      var end = text.indexOf("。");
      if (end !== -1 && end < 110) return text.slice(0, end + 1);
    }
    var start = Math.max(0, at - 30);
    var cut = text.slice(start, start + 110);
    return (start > 0 ? "…" : "") + cut + (start + 110 < text.length ? "…" : "");
  }

  // Put text into el with every query word wrapped in <mark> (text nodes only: no HTML).
  function marked(el, text, terms) {
    var lower = normalize(text);
    var pos = 0;
    while (pos < text.length) {
      var next = -1, len = 0;
      terms.forEach(function (t) {
        var k = lower.indexOf(t, pos);
        if (k !== -1 && (next === -1 || k < next)) { next = k; len = t.length; }
      });
      if (next === -1 || !len) { el.appendChild(document.createTextNode(text.slice(pos))); break; }
      if (next > pos) el.appendChild(document.createTextNode(text.slice(pos, next)));
      var m = document.createElement("mark");
      m.textContent = text.slice(next, next + len);
      el.appendChild(m);
      pos = next + len;
    }
    return el;
  }

  // A result links to its page with the query's words in ?h= (the page marks them, below).
  function link(doc, cls, terms) {
    var a = document.createElement("a");
    a.className = cls;
    var parts = doc.u.split("#");
    a.href = siteRoot + parts[0] + (terms.length ? "?h=" + encodeURIComponent(terms.join(" ")) : "")
      + (parts.length > 1 ? "#" + parts.slice(1).join("#") : "");
    return a;
  }

  // On a page opened from a result: every occurrence of the searched words in the page's text is
  // marked (text nodes only, nothing parsed as HTML), and the first is scrolled to when the link
  // named no section.
  function highlight(words) {
    var article = document.querySelector("article.md-content__inner") || document.querySelector("article");
    var terms = normalize(words).split(/\s+/).filter(function (t) { return t.length > 0; }).slice(0, 10);
    if (!article || !terms.length) return;
    var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        return n.parentNode.closest("script, style, svg, mark, nav, button, form, .headerlink") ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT;
      }
    });
    var nodes = [];
    while (walker.nextNode()) {
      var lower = normalize(walker.currentNode.nodeValue);
      if (terms.some(function (t) { return lower.indexOf(t) !== -1; })) nodes.push(walker.currentNode);
    }
    nodes.slice(0, 200).forEach(function (node) {
      var span = marked(document.createElement("span"), node.nodeValue, terms);
      Array.prototype.forEach.call(span.querySelectorAll("mark"), function (m) { m.className = "guide-search-hit"; });
      var frag = document.createDocumentFragment();
      while (span.firstChild) frag.appendChild(span.firstChild);
      node.parentNode.replaceChild(frag, node);
    });
    var first = article.querySelector("mark.guide-search-hit");
    if (first && !window.location.hash) first.scrollIntoView({block: "center"});
  }

  function render(query) {
    // Rendering the same query again would drop the focus a reader moved into the results.
    if (list.getAttribute("data-query") === query) return;
    list.textContent = "";
    list.setAttribute("data-query", query);  // which query the list shows (tests wait for it)
    if (!key(query)) { meta.textContent = "输入关键词，例如：电梯检验、计量器具检定、多少钱"; return; }
    var found = search(query);
    var terms = found.query.terms.concat(found.query.intent ? [normalize(found.query.intent)] : []);
    meta.textContent = found.results.length
      ? "找到 " + found.results.length + " 个相关页面" + (found.results.length > MAX_PAGES ? "，显示前 " + MAX_PAGES + " 个" : "")
      : "没有找到与“" + query.trim() + "”相关的内容。请换个说法，或查看服务事项列表。";
    found.results.slice(0, MAX_PAGES).forEach(function (r) {
      var li = document.createElement("li");
      li.className = "guide-search__result" + (r.bet ? " guide-search__result--bet" : "");
      var page = r.page;
      var a = link(r.target || {u: page.u}, "guide-search__link", terms);
      var kind = document.createElement("span");
      kind.className = "guide-search__kind";
      kind.textContent = (r.bet ? "推荐 · " : "") + (KIND[page.k] || KIND.page);
      var title = document.createElement("span");
      title.className = "guide-search__title";
      marked(title, page.t + (r.target ? " › " + r.target.h : ""), terms);
      a.appendChild(kind);
      a.appendChild(title);
      var first = r.target || page.docs[0];
      if (first && first.x) {
        var p = document.createElement("span");
        p.className = "guide-search__text";
        marked(p, snippet(first.x, terms), terms);
        a.appendChild(p);
      }
      li.appendChild(a);
      r.hits.forEach(function (doc) {
        var sub = link(doc, "guide-search__section", terms);
        marked(sub, doc.h, terms);
        li.appendChild(sub);
      });
      list.appendChild(li);
    });
  }

  var pending = 0;
  function update() {
    var query = input.value;
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (index) { render(query); return; }
      meta.textContent = "正在加载搜索索引…";
      load().then(function () { render(input.value); }, function () {
        loading = null;
        meta.textContent = "搜索暂时不可用，请稍后再试，或从导航中查找。";
      });
    }, 60);
  }

  function open() {
    if (!dialog.open) dialog.showModal();
    input.focus();
    input.select();
    update();
  }

  opener.hidden = false;
  opener.addEventListener("click", open);
  closer.addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener("close", function () { opener.focus(); });
  input.addEventListener("input", update);
  root.querySelector("form").addEventListener("submit", function (e) {
    e.preventDefault();
    var first = list.querySelector("a");
    if (first) window.location.href = first.href;
  });
  // Arrow keys move between the input and the results.
  dialog.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next = e.key === "ArrowDown" ? at + 1 : at - 1;
    e.preventDefault();
    if (next < 0) input.focus();
    else links[Math.min(next, links.length - 1)].focus();
  });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (dialog.open || e.ctrlKey || e.metaKey || e.altKey || tag === "input" || tag === "textarea" || e.target.isContentEditable) return;
    if (e.key === "/" || e.key === "s") {
      e.preventDefault();
      e.stopImmediatePropagation();
      open();
    }
  }, true);
  var params = new URLSearchParams(window.location.search);
  if (params.get("h")) highlight(params.get("h"));
  if (params.get("q")) {
    input.value = params.get("q");
    open();
  }
})();
