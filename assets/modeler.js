// The process owner's modeler page: bpmn-js Modeler + properties panel (with the Fallwerk
// group), problems of the last validation marked in the diagram, save/publish through plain
// HTML forms (CSRF protected) whose hidden field gets the diagram's XML on submit.
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import './fallwerk.css';
import spiffModdle from './spiffworkflow-moddle.json';
import fallwerkProperties from './properties.js';
import translateModule from './translate.js';
import { addBadge, addMarker, keepLabelled, readJson, showElement } from './common.js';

async function init(root) {
  const canvasNode = root.querySelector('.fw-canvas');
  const panelNode = root.querySelector('.fw-panel');
  const status = document.getElementById('fw-modeler-status');
  const modeler = new Modeler({
    container: canvasNode,
    propertiesPanel: { parent: panelNode, layout: { groups: { general: { open: true }, fallwerk: { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, fallwerkProperties, translateModule],
    moddleExtensions: { spiffworkflow: spiffModdle },
    // Keyboard shortcuts while the diagram (its SVG, reached with Tab) has the focus; the list
    // is on the draft page (templates/modeler/draft.html, "Tastatur im Diagramm").
    keyboard: { bind: true },
    fallwerk: { forms: readJson(root, 'data-forms', []), lanes: readJson(root, 'data-lanes', []) },
  });
  const response = await fetch(root.getAttribute('data-bpmn-url'), { credentials: 'same-origin' });
  if (!response.ok) throw new Error('Das Diagramm konnte nicht geladen werden (' + response.status + ').');
  await modeler.importXML(await response.text());
  modeler.get('canvas').zoom('fit-viewport');

  for (const problem of readJson(root, 'data-problems', [])) {
    if (problem.element_id && addMarker(modeler, problem.element_id, 'fw-problem')) {
      addBadge(modeler, problem.element_id, '!', { className: 'fw-problem-badge', title: problem.message });
    }
  }
  document.querySelectorAll('[data-show-element]').forEach((button) => {
    button.hidden = false;
    button.addEventListener('click', () => {
      if (showElement(modeler, button.getAttribute('data-show-element'))) canvasNode.focus();
    });
  });

  let dirty = false;
  let submitting = false;
  modeler.on('commandStack.changed', () => {
    dirty = true;
    if (status) status.textContent = 'Ungespeicherte Änderungen.';
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ''; }
  });

  document.querySelectorAll('form.fw-with-xml').forEach((form) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const { xml } = await modeler.saveXML({ format: true });
      form.querySelector('[name=bpmn_xml]').value = xml;
      submitting = true;
      form.submit(); // no second submit event; the buttons carry no name/value
    });
  });
  keepLabelled(root);
  canvasNode.setAttribute('tabindex', '0');
  root.fallwerkModeler = modeler;
  root.dispatchEvent(new CustomEvent('fallwerk:modeler-ready', { detail: modeler, bubbles: true }));
  if (status) status.textContent = 'Diagramm geladen.';
  return modeler;
}

function start() {
  const root = document.getElementById('fw-modeler');
  if (!root) return;
  init(root).catch((error) => {
    const message = document.getElementById('fw-modeler-status') || root;
    message.textContent = error.message;
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
