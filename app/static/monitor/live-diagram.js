/* Live diagram of the monitor: loads the counts (or one case's path) as JSON and draws them
   onto the bpmn-js viewer (window.FallwerkViewer, app/static/build/viewer.js).
   The same numbers are in the table on the page; this file only decorates the canvas. */
(function () {
  'use strict';

  function badgesForCounts(handle, elements, node) {
    var waiting = node.dataset.labelWaiting || 'wartend';
    var overdueLabel = node.dataset.labelOverdue || 'überfällig';
    var pausedLabel = node.dataset.labelPaused || 'pausiert';
    Object.keys(elements).forEach(function (id) {
      var c = elements[id];
      if (c.waiting > 0) {
        var text = String(c.waiting) + (c.overdue > 0 ? ' (' + c.overdue + ' ' + overdueLabel + ')' : '');
        handle.addBadge(id, text, {title: c.waiting + ' ' + waiting + (c.overdue > 0 ? ', ' + c.overdue + ' ' + overdueLabel : ''),
                                   className: c.overdue > 0 ? 'fw-problem-badge' : 'fw-badge'});
        handle.addMarker(id, c.overdue > 0 ? 'fw-overdue' : 'fw-active');
      }
      if (c.paused > 0) {
        handle.addBadge(id, c.paused + ' ' + pausedLabel, {title: c.paused + ' ' + pausedLabel, className: 'fw-badge',
                                                             position: {bottom: -8, left: 0}});
      }
    });
  }

  function markPath(handle, data) {
    (data.completed || []).forEach(function (id) { handle.addMarker(id, 'fw-done'); });
    (data.current || []).forEach(function (id) { handle.addMarker(id, 'fw-active'); });
  }

  function fail(node) {
    var p = document.createElement('p');
    p.className = 'fw-diagram-error';
    p.textContent = 'Das Diagramm konnte nicht geladen werden; die Angaben stehen in der Tabelle.';
    node.replaceChildren(p);
  }

  function start() {
    var node = document.getElementById('monitor-diagram');
    if (!node || !window.FallwerkViewer) { return; }
    fetch(node.dataset.countsUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        return window.FallwerkViewer.create(node, {url: node.dataset.bpmnUrl}).then(function (handle) {
          if (node.dataset.mode === 'path') { markPath(handle, data); } else { badgesForCounts(handle, data.elements || {}, node); }
          node.dataset.ready = 'true';
        });
      })
      .catch(function () { fail(node); });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
