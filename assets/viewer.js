// window.FallwerkViewer: a read-only, navigable BPMN diagram (bpmn-js NavigatedViewer) with
// helpers for markers and badges. API note: /work/coord/viewer-api.md (and README).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import './fallwerk.css';
import spiffModdle from './spiffworkflow-moddle.json';
import { addBadge, addMarker, clearBadges, readJson, removeMarker, showElement } from './common.js';

async function create(container, options = {}) {
  const node = typeof container === 'string' ? document.querySelector(container) : container;
  node.classList.add('fw-diagram');
  const viewer = new NavigatedViewer({ container: node, moddleExtensions: { spiffworkflow: spiffModdle } });
  let xml = options.xml;
  if (!xml && options.url) {
    const response = await fetch(options.url, { credentials: 'same-origin' });
    if (!response.ok) throw new Error('BPMN konnte nicht geladen werden (' + response.status + ')');
    xml = await response.text();
  }
  const result = await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');
  const handle = {
    viewer,
    warnings: result.warnings,
    addMarker: (id, cls) => addMarker(viewer, id, cls),
    removeMarker: (id, cls) => removeMarker(viewer, id, cls),
    addBadge: (id, text, opts) => addBadge(viewer, id, text, opts),
    clearBadges: (type) => clearBadges(viewer, type),
    show: (id) => showElement(viewer, id),
    zoomFit: () => viewer.get('canvas').zoom('fit-viewport'),
    elementIds: () => viewer.get('elementRegistry').getAll().map((e) => e.id),
    destroy: () => viewer.destroy(),
  };
  const markers = options.markers || {};
  for (const [id, cls] of Object.entries(markers)) {
    for (const c of [].concat(cls)) handle.addMarker(id, c);
  }
  for (const badge of options.badges || []) {
    handle.addBadge(badge.id, badge.text, badge);
  }
  return handle;
}

// Declarative use without any inline script:
//   <div data-fallwerk-viewer data-bpmn-url="/..." data-markers='{"task_id": "fw-active"}'
//        data-badges='[{"id": "task_id", "text": "3", "title": "3 offene Aufgaben"}]'></div>
function autoInit() {
  document.querySelectorAll('[data-fallwerk-viewer]').forEach((node) => {
    const options = {
      url: node.getAttribute('data-bpmn-url'),
      markers: readJson(node, 'data-markers', {}),
      badges: readJson(node, 'data-badges', []),
    };
    create(node, options).then((handle) => {
      node.fallwerkViewer = handle;
      node.dispatchEvent(new CustomEvent('fallwerk:viewer-ready', { detail: handle, bubbles: true }));
    }).catch((error) => {
      const message = document.createElement('p');
      message.className = 'fw-diagram-error';
      message.textContent = error.message;
      node.replaceChildren(message);
    });
  });
}

window.FallwerkViewer = { create, autoInit };
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', autoInit);
} else {
  autoInit();
}
