(function () {
  "use strict";
  var query = document.getElementById("q");
  query.addEventListener("input", function () {
    var term = query.value.trim().toLowerCase();
    document.querySelectorAll("#webinars tbody tr").forEach(function (row) {
      row.hidden = term !== "" && row.textContent.toLowerCase().indexOf(term) === -1;
    });
  });
  var data = JSON.parse(document.getElementById("passages").textContent);
  var find = document.getElementById("find");
  var found = document.getElementById("found");
  var results = document.getElementById("results");
  function clock(t) {
    var s = Math.floor(t), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    return [h, m, s % 60].map(function (n) { return String(n).padStart(2, "0"); }).join(":");
  }
  find.addEventListener("input", function () {
    var words = find.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    results.textContent = "";
    if (!words.length) { found.textContent = ""; return; }
    var hits = data.passages.filter(function (p) {
      var text = p[4].toLowerCase();
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    });
    found.textContent = hits.length + " " + (hits.length === 1 ? found.dataset.one : found.dataset.many);
    hits.slice(0, 100).forEach(function (p) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = encodeURIComponent(p[0]) + "/summary.html#t=" + p[1];
      link.textContent = (data.titles[p[0]] || p[0]) + " " + clock(p[1]);
      li.appendChild(link);
      li.appendChild(document.createTextNode(" " + (p[2] ? p[2] + ": " : "")));
      li.appendChild(markedText(p[4], wordsPattern(words)) || document.createTextNode(p[4]));
      results.appendChild(li);
    });
  });
})();
