// Shared by the reviewer page and the index: the words a search found, marked.
function wordsPattern(words) {  // a global, case-blind RegExp finding any of ``words`` as typed
  var escaped = words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
  return new RegExp(escaped.join("|"), "gi");
}
function markedText(text, found) {  // text nodes and <mark>s (never markup from the data); null: no hit
  var parts = document.createDocumentFragment(), from = 0, hit;
  found.lastIndex = 0;
  while ((hit = found.exec(text)) !== null) {
    parts.appendChild(document.createTextNode(text.slice(from, hit.index)));
    var m = document.createElement("mark");
    m.textContent = hit[0];
    parts.appendChild(m);
    from = hit.index + hit[0].length;
  }
  if (from === 0) { return null; }
  parts.appendChild(document.createTextNode(text.slice(from)));
  return parts;
}
