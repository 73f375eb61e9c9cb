(function () {
  "use strict";
  var query = document.getElementById("q");
  query.addEventListener("input", function () {
    var term = query.value.trim().toLowerCase();
    document.querySelectorAll("#webinars tbody tr").forEach(function (row) {
      row.hidden = term !== "" && row.textContent.toLowerCase().indexOf(term) === -1;
    });
  });
})();
