// Helpers shared by the modeler and the viewer: markers and small badges on diagram elements.
// Everything is created through the DOM (no HTML strings, no style attributes in markup), so
// the pages keep a strict Content-Security-Policy.

export function elementExists(diagram, id) {
  return !!diagram.get('elementRegistry').get(id);
}

export function addMarker(diagram, id, className) {
  if (!elementExists(diagram, id)) return false;
  diagram.get('canvas').addMarker(id, className);
  return true;
}

export function removeMarker(diagram, id, className) {
  if (!elementExists(diagram, id)) return false;
  diagram.get('canvas').removeMarker(id, className);
  return true;
}

export function addBadge(diagram, id, text, options = {}) {
  if (!elementExists(diagram, id)) return null;
  const badge = document.createElement('span');
  badge.className = 'fw-badge ' + (options.className || '');
  badge.textContent = text;
  if (options.title) badge.title = options.title;
  return diagram.get('overlays').add(id, options.type || 'fallwerk', {
    position: options.position || { top: -10, right: 10 },
    html: badge,
  });
}

export function clearBadges(diagram, type = 'fallwerk') {
  diagram.get('overlays').remove({ type });
}

export function showElement(diagram, id) {
  const element = diagram.get('elementRegistry').get(id);
  if (!element) return false;
  const canvas = diagram.get('canvas');
  if (element.waypoints) {
    canvas.scrollToElement(element);
  } else {
    canvas.scrollToElement(element, { top: 120, bottom: 120, left: 120, right: 120 });
  }
  try {
    diagram.get('selection').select(element);
  } catch (e) { /* the viewer has no selection service */ }
  return true;
}

export function readJson(node, name, fallback) {
  const raw = node.getAttribute(name);
  if (!raw) return fallback;
  try { return JSON.parse(raw); } catch (e) { return fallback; }
}

// bpmn-js names a few controls only by aria-label (e.g. the search box); give each a real,
// visually hidden <label> too, so every form control of the page has one.
let labelCounter = 0;
export function labelControls(root) {
  root.querySelectorAll('input, select, textarea').forEach((el) => {
    if (el.type === 'hidden' || (el.labels && el.labels.length) || el.getAttribute('aria-labelledby')) return;
    const text = el.getAttribute('aria-label') || el.getAttribute('placeholder') || el.getAttribute('title');
    if (!text) return;
    if (!el.id) { labelCounter += 1; el.id = 'fw-control-' + labelCounter; }
    const label = document.createElement('label');
    label.className = 'visually-hidden';
    label.htmlFor = el.id;
    label.textContent = text;
    el.insertAdjacentElement('beforebegin', label);
  });
}

export function keepLabelled(root) {
  labelControls(root);
  new MutationObserver(() => labelControls(root)).observe(root, { childList: true, subtree: true });
}
