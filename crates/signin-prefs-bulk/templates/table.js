// The per-user table: rows come as JSON from the page itself; a page of them is drawn at a time,
// and filtering and sorting run over the array, so a hundred thousand users stay responsive.
// Cells are set as text, never as markup.
(function () {
  "use strict";
  var PAGE_SIZE = 100;
  var section = document.getElementById("users");
  var source = document.getElementById("table-data");
  if (!section || !source) { return; }
  var data = JSON.parse(source.textContent);
  var columns = data.columns;
  var rows = data.rows;
  var filterBox = document.getElementById("filter");
  var columnChoice = document.getElementById("filter-column");
  var status = document.getElementById("status");
  var pageText = document.getElementById("page");
  var printNote = document.getElementById("print-note");
  var head = document.getElementById("head");
  var body = document.getElementById("body");
  var lowered = new Array(rows.length);
  var joined = new Array(rows.length);
  for (var r = 0; r < rows.length; r++) {
    lowered[r] = rows[r].map(function (cell) { return String(cell).toLowerCase(); });
    joined[r] = lowered[r].join("\u0000");
  }
  var view = [];
  var page = 0;
  var sortColumn = -1;
  var ascending = true;

  columns.forEach(function (name, index) {
    var th = document.createElement("th");
    th.textContent = name;
    th.setAttribute("data-column", String(index));
    th.setAttribute("aria-sort", "none");
    th.title = "Sort by " + name;
    th.addEventListener("click", function () { sortBy(index); });
    head.appendChild(th);
    var option = document.createElement("option");
    option.value = String(index);
    option.textContent = name;
    columnChoice.appendChild(option);
  });

  function numeric(index) {
    var seen = false;
    for (var i = 0; i < rows.length; i++) {
      var cell = rows[i][index];
      if (cell === "") { continue; }
      if (!/^-?\d+(\.\d+)?$/.test(cell)) { return false; }
      seen = true;
    }
    return seen;
  }

  function refilter() {
    var needle = filterBox.value.trim().toLowerCase();
    var column = Number(columnChoice.value);
    view = [];
    for (var i = 0; i < rows.length; i++) {
      if (needle === "" || (column < 0 ? joined[i] : lowered[i][column]).indexOf(needle) >= 0) {
        view.push(i);
      }
    }
    resort();
    page = 0;
    draw();
  }

  function resort() {
    if (sortColumn < 0) { return; }
    var column = sortColumn;
    var direction = ascending ? 1 : -1;
    var keys;
    if (numeric(column)) {
      keys = function (i) { var cell = rows[i][column]; return cell === "" ? -Infinity : Number(cell); };
    } else {
      keys = function (i) { return lowered[i][column]; };
    }
    view.sort(function (a, b) {
      var x = keys(a), y = keys(b);
      if (x < y) { return -direction; }
      if (x > y) { return direction; }
      return a - b;
    });
  }

  function sortBy(column) {
    ascending = sortColumn === column ? !ascending : true;
    sortColumn = column;
    Array.prototype.forEach.call(head.children, function (th, index) {
      th.setAttribute("aria-sort", index === column ? (ascending ? "ascending" : "descending") : "none");
    });
    resort();
    page = 0;
    draw();
  }

  function pages() { return Math.max(1, Math.ceil(view.length / PAGE_SIZE)); }

  function draw() {
    var start = page * PAGE_SIZE;
    var end = Math.min(view.length, start + PAGE_SIZE);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var tr = document.createElement("tr");
      var row = rows[view[k]];
      for (var c = 0; c < row.length; c++) {
        var td = document.createElement("td");
        td.textContent = row[c];
        td.title = row[c];
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(fragment);
    var filtered = view.length === rows.length ? "" : " (filtered from " + rows.length + ")";
    status.textContent = view.length + (view.length === 1 ? " row" : " rows") + filtered;
    pageText.textContent = "page " + (page + 1) + " of " + pages();
    printNote.textContent = view.length === 0 ? "No rows match the filter." :
      "Rows " + (start + 1) + "–" + end + " of " + view.length + filtered +
      " as shown on screen; the full list is in this file, or in the report's CSV.";
    section.setAttribute("data-matches", String(view.length));
    section.setAttribute("data-shown", String(end - start));
  }

  function go(to) { page = Math.min(Math.max(0, to), pages() - 1); draw(); }
  document.getElementById("first").addEventListener("click", function () { go(0); });
  document.getElementById("previous").addEventListener("click", function () { go(page - 1); });
  document.getElementById("next").addEventListener("click", function () { go(page + 1); });
  document.getElementById("last").addEventListener("click", function () { go(pages() - 1); });
  var pending = null;
  filterBox.addEventListener("input", function () {
    if (pending !== null) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; refilter(); }, 120);
  });
  columnChoice.addEventListener("change", refilter);
  refilter();
})();
