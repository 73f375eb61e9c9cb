(function () {
  "use strict";
  var media = document.getElementById("media");
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-t]");
    if (!target || !media) { return; }
    media.currentTime = parseFloat(target.dataset.t);
    // the address now points at this moment: copied, it opens the page here (#t=…)
    if (window.history.replaceState) { window.history.replaceState(null, "", "#t=" + target.dataset.t); }
    var playing = media.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  });
  document.querySelectorAll("[data-w]").forEach(function (el) { el.style.width = el.dataset.w + "%"; });
  document.querySelectorAll("[data-c]").forEach(function (el) { el.style.borderColor = el.dataset.c; });
  var lines = document.querySelectorAll("#transcript li");
  function lineAt(t) {  // the transcript paragraph said at ``t`` seconds (null before the first)
    var line = null;
    lines.forEach(function (li) { if (parseFloat(li.dataset.start) <= t + 0.01) { line = li; } });
    return line;
  }
  function seekTo(t) {
    var line = lineAt(t);
    if (line) {
      line.classList.add("here");
      line.scrollIntoView({ block: "center" });
    }
    if (media) { media.currentTime = t; }
  }
  if (media) {
    // a page copied or mailed without its recording says so, not an idle player
    var missing = document.getElementById("media-missing");
    var unplayable = function () { if (missing) { missing.hidden = false; } };
    media.addEventListener("error", unplayable);
    if (media.error) { unplayable(); }  // it failed before this ran
    // the paragraph being played is marked as the recording plays or is moved
    var current = null;
    media.addEventListener("timeupdate", function () {
      var line = lineAt(media.currentTime);
      if (line === current) { return; }
      if (current) { current.classList.remove("now"); current.removeAttribute("aria-current"); }
      if (line) { line.classList.add("now"); line.setAttribute("aria-current", "time"); }
      current = line;
    });
  }
  var link = /^#t=([0-9]+(?:\.[0-9]+)?)$/.exec(window.location.hash);
  if (link) { seekTo(parseFloat(link[1])); }
  var query = document.getElementById("q");
  var hits = document.getElementById("hits");
  function unmark(li) {
    li.querySelectorAll("mark").forEach(function (m) { m.replaceWith(document.createTextNode(m.textContent)); });
    li.normalize();
  }
  function mark(li, term) {  // in the line's own text, not in its time button
    var found = wordsPattern([term]);
    var walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT), texts = [], node;
    while ((node = walker.nextNode())) { if (!node.parentElement.closest("button")) { texts.push(node); } }
    texts.forEach(function (text) {
      var parts = markedText(text.nodeValue, found);
      if (parts) { text.replaceWith(parts); }
    });
  }
  if (query) {
    query.addEventListener("input", function () {
      var term = query.value.trim().toLowerCase();
      var count = 0;
      lines.forEach(function (li) {
        var match = !term || li.textContent.toLowerCase().indexOf(term) !== -1;
        li.hidden = !match;
        unmark(li);
        if (match && term) { count += 1; mark(li, term); }
      });
      hits.textContent = term ? count + " " + (count === 1 ? hits.dataset.one : hits.dataset.many) : "";
    });
  }
})();
