// Stacked tables on narrow screens (WCAG 1.4.10 reflow at 320 CSS px): every data table of the
// content with a header row of three or more columns gets the class "stack", and each of its data
// cells the name of its column
// in data-label (unless the template set one), which app.css shows beside the value when the
// rows are stacked. Tables in a .table-scroll box (the decision table) or marked .no-stack keep
// their columns. Without JavaScript the tables keep their columns and wrap inside the cells.
(function () {
  'use strict';
  function headerNames(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) { return null; }
    var names = [];
    Array.prototype.forEach.call(row.cells, function (cell) {
      var span = cell.colSpan || 1;
      var text = (cell.getAttribute('data-label') || cell.textContent || '').replace(/\s+/g, ' ').trim();
      for (var i = 0; i < span; i += 1) { names.push(text); }
    });
    return names;
  }
  function stack(table) {
    if (table.closest('.table-scroll') || table.classList.contains('no-stack')) { return; }
    var names = headerNames(table);
    if (!names || names.length < 3) { return; }  // two columns fit a narrow screen as they are
    Array.prototype.forEach.call(table.tBodies, function (body) { label(body.rows, names); });
    if (table.tFoot) { label(table.tFoot.rows, names); }
    table.classList.add('stack');
  }
  function label(rows, names) {
    Array.prototype.forEach.call(rows, function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        // A row header (th) heads its stacked row itself; data cells get their column's name.
        if (cell.tagName === 'TD' && !cell.hasAttribute('data-label') && (cell.colSpan || 1) === 1 && names[column]) {
          cell.setAttribute('data-label', names[column]);
        }
        column += cell.colSpan || 1;
      });
    });
  }
  function run() { Array.prototype.forEach.call(document.querySelectorAll('main table'), stack); }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', run); } else { run(); }
}());
