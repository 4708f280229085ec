// Guided editors of the properties panel (no Python needed):
//   GuidedConditionEntry  a flow leaving a gateway: field of an earlier form + comparison + value,
//                         clauses joined by "und"/"oder"
//   GuidedDueEntry        a user task's deadline: n units after the task began (dueIn) or n days/weeks
//                         after/before a date field of an earlier form (dueDate)
//   GuidedTimerEntry      a timer event's duration: number + unit, stored as ISO 8601 ("P5D")
// The server writes and reads the expressions (app/modeler/condition_routes.py), so the sandbox
// check and the parser are the same as on publishing; the expert fields stay next to these.
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const UNITS = [
  { key: 'minuten', label: 'Minuten', iso: 'TM' }, { key: 'stunden', label: 'Stunden', iso: 'TH' },
  { key: 'tage', label: 'Tage', iso: 'D' }, { key: 'wochen', label: 'Wochen', iso: 'W' },
  { key: 'monate', label: 'Monate', iso: 'M' }, { key: 'jahre', label: 'Jahre', iso: 'Y' },
];

export function toIso(amount, unit) {
  const found = UNITS.find((u) => u.key === unit);
  const n = Number(amount);
  if (!found || !Number.isInteger(n) || n < 1 || n > 9999) return null;
  return found.iso.startsWith('T') ? `PT${n}${found.iso[1]}` : `P${n}${found.iso}`;
}

export function fromIso(value) {
  const match = /^P(?:(\d+)([YMWD])|T(\d+)([HM]))$/.exec((value || '').trim().toUpperCase());
  if (!match) return null;
  const iso = match[1] ? match[2] : `T${match[4]}`;
  const amount = Number(match[1] || match[3]);
  const unit = UNITS.find((u) => u.iso === iso);
  return unit && amount >= 1 && amount <= 9999 ? { amount, unit: unit.key } : null;
}

function baseUrl() {
  const root = document.getElementById('fw-modeler');
  const url = root && root.getAttribute('data-bpmn-url');
  return url ? url.replace(/\/bpmn$/, '') : null;
}

async function postJson(path, body) {
  const base = baseUrl();
  if (!base) throw new Error('Der Editor ist nicht mit einem Entwurf verbunden.');
  const token = document.querySelector('input[name=csrf_token]');
  const response = await fetch(base + path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token ? token.value : '' },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok && response.status !== 422) {
    throw new Error(`Der Server hat die Anfrage abgelehnt (${response.status}).`);
  }
  return data;
}

async function loadFields(bpmnjs, element) {
  const { xml } = await bpmnjs.saveXML();
  return postJson('/felder', { element: element.id, bpmn_xml: xml });
}

const h = jsx;

function label(forId, text) {
  return h('label', { for: forId, class: 'bio-properties-panel-label', children: text });
}

function select(id, value, options, onChange, extra = {}) {
  return h('select', {
    id, class: 'bio-properties-panel-input', value,
    onChange: (event) => onChange(event.target.value), ...extra,
    children: options.map((o) => h('option', { value: o.value, selected: o.value === value, children: o.label })),
  });
}

function button(text, onClick, extra = {}) {
  return h('button', { type: 'button', class: 'fw-guided-button', onClick, ...extra, children: text });
}

function fieldOption(field) {
  const step = field.task_name ? ` – ${field.task_name}` : '';
  return { value: field.name, label: `${field.label} (${field.type_label})${step}` };
}

function status(id, text, problem) {
  return h('p', { id, class: problem ? 'fw-guided-problem' : 'fw-guided-status', role: 'status', children: text });
}

// --- conditions ---------------------------------------------------------------------------------

function emptyClause(fields) {
  const field = fields[0];
  return { field: field ? field.name : '', operator: field ? field.operators[0].key : 'gleich', value: '' };
}

function ValueInput({ id, field, clause, onChange }) {
  const op = clause.operator;
  if (!field || ['ist_ja', 'ist_nein', 'ist_leer', 'ist_ausgefuellt'].includes(op)) return null;
  const many = op === 'ist_einer_von' || op === 'ist_keiner_von';
  if (field.choices.length) {
    const options = field.choices.map((c) => ({ value: c.value, label: c.label }));
    if (many) {
      const values = Array.isArray(clause.value) ? clause.value : [];
      return h('div', { children: [label(id, 'Werte'), h('select', {
        id, multiple: true, class: 'bio-properties-panel-input', size: Math.min(6, options.length),
        onChange: (event) => onChange(Array.from(event.target.selectedOptions).map((o) => o.value)),
        children: options.map((o) => h('option', { value: o.value, selected: values.includes(o.value), children: o.label })),
      })] });
    }
    const value = typeof clause.value === 'string' ? clause.value : '';
    return h('div', { children: [label(id, 'Wert'),
      select(id, value, [{ value: '', label: '– bitte wählen –' }].concat(options), onChange)] });
  }
  const type = field.type === 'number' ? 'number' : field.type === 'date' ? 'date' : 'text';
  const shown = Array.isArray(clause.value) ? clause.value.join(', ') : (clause.value === null ? '' : String(clause.value));
  return h('div', { children: [label(id, many ? 'Werte (durch Komma getrennt)' : 'Wert'), h('input', {
    id, type, class: 'bio-properties-panel-input', value: shown, step: type === 'number' ? 'any' : undefined,
    onInput: (event) => onChange(many ? event.target.value.split(',').map((v) => v.trim()).filter(Boolean)
      : event.target.value),
  })] });
}

export function GuidedConditionEntry({ element, id }) {
  const bpmnjs = useService('bpmnjs');
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const bo = getBusinessObject(element);
  const expression = (bo.conditionExpression && bo.conditionExpression.body) || '';
  const [fields, setFields] = useState(null);
  const [clauses, setClauses] = useState([]);
  const [join, setJoin] = useState('und');
  const [message, setMessage] = useState({ text: '', problem: false });
  const [applied, setApplied] = useState(null);

  useEffect(() => {
    let live = true;
    const done = applied !== null && applied === expression ? 'Übernommen. ' : '';
    (async () => {
      try {
        const info = await loadFields(bpmnjs, element);
        if (!live) return;
        setFields(info.fields || []);
        if (!expression.trim()) {
          setClauses([emptyClause(info.fields || [])]);
          setMessage({ text: 'Noch keine Bedingung.', problem: false });
          return;
        }
        const read = await postJson('/ausdruck-pruefen', { kind: 'condition', expression, element: element.id });
        if (!live) return;
        if (read.guided) {
          setClauses(read.guided.clauses);
          setJoin(read.guided.join);
          setMessage({ text: `${done}Gilt, wenn: ${read.guided.text}`, problem: false });
        } else {
          setClauses([]);
          setMessage({ text: read.problem || 'Dieser Ausdruck lässt sich nicht geführt bearbeiten; '
            + 'bitte das Feld „Ausdruck für Fachleute“ benutzen oder hier neu anlegen.', problem: !!read.problem });
        }
      } catch (error) {
        if (live) setMessage({ text: error.message, problem: true });
      }
    })();
    return () => { live = false; };
  }, [element.id, expression]);

  if (fields === null) return h('div', { class: 'bio-properties-panel-entry', id, children: status(`${id}-status`, 'Felder werden geladen …') });
  if (!fields.length) {
    return h('div', { class: 'bio-properties-panel-entry', id, children: status(`${id}-status`,
      'Vor diesem Schritt gibt es kein Formular mit Feldern; bitte das Feld „Ausdruck für Fachleute“ benutzen.') });
  }
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const update = (index, change) => setClauses(clauses.map((c, i) => (i === index ? { ...c, ...change } : c)));
  const apply = async () => {
    try {
      const built = await postJson('/ausdruck-bauen', { kind: 'condition', element: element.id, join,
        clauses: clauses.map((c) => ({ field: c.field, operator: c.operator, value: c.value })) });
      if (!built.ok) { setMessage({ text: built.problem, problem: true }); return; }
      setApplied(built.expression);
      modeling.updateProperties(element, {
        conditionExpression: bpmnFactory.create('bpmn:FormalExpression', { body: built.expression }),
      });
      setMessage({ text: `Übernommen. Gilt, wenn: ${built.guided ? built.guided.text : built.expression}`, problem: false });
    } catch (error) {
      setMessage({ text: error.message, problem: true });
    }
  };
  const rows = clauses.map((clause, index) => {
    const field = byName[clause.field];
    const fieldOptions = fields.map(fieldOption);
    if (!field) fieldOptions.unshift({ value: clause.field, label: `${clause.field} (unbekanntes Feld)` });
    const operators = (field ? field.operators : [{ key: clause.operator, label: clause.operator }])
      .map((o) => ({ value: o.key, label: o.label }));
    const prefix = `${id}-${index}`;
    return h('fieldset', { class: 'fw-guided-clause', children: [
      h('legend', { children: index === 0 ? 'Wenn' : (join === 'und' ? 'und' : 'oder') }),
      label(`${prefix}-field`, 'Feld'),
      select(`${prefix}-field`, clause.field, fieldOptions, (name) => {
        const next = byName[name];
        update(index, { field: name, operator: next ? next.operators[0].key : clause.operator, value: '' });
      }),
      label(`${prefix}-op`, 'Vergleich'),
      select(`${prefix}-op`, clause.operator, operators, (operator) => update(index, { operator,
        value: ['ist_einer_von', 'ist_keiner_von'].includes(operator) ? [] : '' })),
      h(ValueInput, { id: `${prefix}-value`, field, clause, onChange: (value) => update(index, { value }) }),
      clauses.length > 1 ? button('Diese Bedingung entfernen',
        () => setClauses(clauses.filter((c, i) => i !== index))) : null,
    ] });
  });
  return h('div', { class: 'bio-properties-panel-entry fw-guided', id, children: [
    h('p', { class: 'bio-properties-panel-label', children: 'Geführte Bedingung' }),
    ...rows,
    clauses.length > 1 ? h('div', { children: [label(`${id}-join`, 'Verknüpfung'),
      select(`${id}-join`, join, [{ value: 'und', label: 'alle müssen zutreffen (und)' },
        { value: 'oder', label: 'eine muss zutreffen (oder)' }], setJoin)] }) : null,
    button('Bedingung hinzufügen', () => setClauses([...clauses, emptyClause(fields)])),
    button('Übernehmen', apply, { class: 'fw-guided-button fw-guided-apply' }),
    status(`${id}-status`, message.text, message.problem),
  ] });
}

// --- due dates ----------------------------------------------------------------------------------

function readProperty(element, name) {
  const bo = getBusinessObject(element);
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  const props = values.find((v) => is(v, 'spiffworkflow:Properties'));
  const prop = props && (props.properties || []).find((p) => p.name === name);
  return prop ? prop.value : '';
}

export function GuidedDueEntry({ element, id, setProperty }) {
  const bpmnjs = useService('bpmnjs');
  const dueIn = readProperty(element, 'dueIn');
  const dueDate = readProperty(element, 'dueDate');
  const [fields, setFields] = useState([]);
  const [state, setState] = useState({ mode: 'keine', amount: '', unit: 'tage', field: '' });
  const [message, setMessage] = useState({ text: '', problem: false });
  const [applied, setApplied] = useState(null);

  useEffect(() => {
    let live = true;
    const done = applied !== null && applied === `${dueIn}|${dueDate}` ? 'Übernommen: ' : 'Frist: ';
    (async () => {
      try {
        const info = await loadFields(bpmnjs, element);
        if (!live) return;
        const dates = (info.fields || []).filter((f) => f.type === 'date');
        setFields(dates);
        const first = dates[0] ? dates[0].name : '';
        if (dueDate) {
          const read = await postJson('/ausdruck-pruefen', { kind: 'dueDate', expression: dueDate, element: element.id });
          if (!live) return;
          const g = read.guided;
          if (g && g.field) {
            setState({ mode: g.direction === 'vor' ? 'vor' : 'nach', amount: String(g.amount), unit: g.unit, field: g.field });
            setMessage({ text: `${done}${g.text}`, problem: false });
          } else if (g) {
            setState({ mode: 'beginn', amount: String(g.amount), unit: g.unit, field: first });
            setMessage({ text: `${done}${g.text}`, problem: false });
          } else {
            setState({ mode: 'experte', amount: '', unit: 'tage', field: first });
            setMessage({ text: read.problem || 'Die Frist ist ein Ausdruck für Fachleute (siehe unten).', problem: !!read.problem });
          }
        } else if (dueIn) {
          const simple = fromIso(dueIn);
          setState(simple ? { mode: 'beginn', amount: String(simple.amount), unit: simple.unit, field: first }
            : { mode: 'experte', amount: '', unit: 'tage', field: first });
          const unitLabel = simple ? UNITS.find((u) => u.key === simple.unit).label : '';
          setMessage({ text: simple ? `${done}${simple.amount} ${unitLabel} nach Beginn der Aufgabe`
            : 'Die Frist ist eine ISO-Dauer für Fachleute (siehe unten).', problem: false });
        } else {
          setState({ mode: 'keine', amount: '', unit: 'tage', field: first });
          setMessage({ text: done === 'Übernommen: ' ? 'Übernommen: keine Frist.' : '', problem: false });
        }
      } catch (error) {
        if (live) setMessage({ text: error.message, problem: true });
      }
    })();
    return () => { live = false; };
  }, [element.id, dueIn, dueDate]);

  const modes = [{ value: 'keine', label: 'keine Frist' }, { value: 'beginn', label: 'nach Beginn der Aufgabe' }];
  if (fields.length) {
    modes.push({ value: 'nach', label: 'nach einem Datum aus einem Formular' },
      { value: 'vor', label: 'vor einem Datum aus einem Formular' });
  }
  if (state.mode === 'experte') modes.push({ value: 'experte', label: 'Ausdruck für Fachleute (unten)' });
  const byDate = state.mode === 'nach' || state.mode === 'vor';
  const units = UNITS.filter((u) => !byDate || u.key === 'tage' || u.key === 'wochen')
    .map((u) => ({ value: u.key, label: u.label }));
  const change = (patch) => setState({ ...state, ...patch });
  const apply = async () => {
    try {
      if (state.mode === 'keine') {
        setApplied('|');
        setProperty('dueDate', ''); setProperty('dueIn', '');
        setMessage({ text: 'Übernommen: keine Frist.', problem: false });
        return;
      }
      if (state.mode === 'beginn') {
        const iso = toIso(state.amount, state.unit);
        if (!iso) { setMessage({ text: 'Bitte eine ganze Zahl zwischen 1 und 9999 angeben.', problem: true }); return; }
        setApplied(`${iso}|`);
        setProperty('dueDate', ''); setProperty('dueIn', iso);
        setMessage({ text: `Übernommen: ${state.amount} ${UNITS.find((u) => u.key === state.unit).label} nach Beginn der Aufgabe.`, problem: false });
        return;
      }
      const built = await postJson('/ausdruck-bauen', { kind: 'dueDate', element: element.id, amount: state.amount,
        unit: state.unit, field: state.field, direction: state.mode });
      if (!built.ok) { setMessage({ text: built.problem, problem: true }); return; }
      setApplied(`|${built.expression}`);
      setProperty('dueIn', ''); setProperty('dueDate', built.expression);
      setMessage({ text: `Übernommen: ${built.guided ? built.guided.text : built.expression}.`, problem: false });
    } catch (error) {
      setMessage({ text: error.message, problem: true });
    }
  };
  const showAmount = state.mode === 'beginn' || byDate;
  return h('div', { class: 'bio-properties-panel-entry fw-guided', id, children: [
    label(`${id}-mode`, 'Frist'),
    select(`${id}-mode`, state.mode, modes, (mode) => change({ mode,
      unit: (mode === 'nach' || mode === 'vor') && !['tage', 'wochen'].includes(state.unit) ? 'tage' : state.unit })),
    showAmount ? label(`${id}-amount`, 'Anzahl') : null,
    showAmount ? h('input', { id: `${id}-amount`, type: 'number', min: byDate ? 0 : 1, max: 9999, step: 1,
      class: 'bio-properties-panel-input', value: state.amount,
      onInput: (event) => change({ amount: event.target.value }) }) : null,
    showAmount ? label(`${id}-unit`, 'Einheit') : null,
    showAmount ? select(`${id}-unit`, state.unit, units, (unit) => change({ unit })) : null,
    byDate ? label(`${id}-field`, 'Datum') : null,
    byDate ? select(`${id}-field`, state.field, fields.map(fieldOption), (field) => change({ field })) : null,
    state.mode !== 'experte' ? button('Übernehmen', apply, { class: 'fw-guided-button fw-guided-apply' }) : null,
    status(`${id}-status`, message.text, message.problem),
  ] });
}

// --- timer durations ----------------------------------------------------------------------------

export function timerDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

export function GuidedTimerEntry({ element, id }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const definition = timerDefinition(element);
  const body = (definition && definition.timeDuration && definition.timeDuration.body) || '';
  const literal = /^\s*["']([^"']*)["']\s*$/.exec(body);
  const simple = literal ? fromIso(literal[1]) : null;
  const [amount, setAmount] = useState(simple ? String(simple.amount) : '');
  const [unit, setUnit] = useState(simple ? simple.unit : 'tage');
  const [message, setMessage] = useState({ text: '', problem: false });
  const [applied, setApplied] = useState(null);
  useEffect(() => {
    setAmount(simple ? String(simple.amount) : '');
    setUnit(simple ? simple.unit : 'tage');
    let text = body && !simple ? 'Die Dauer ist ein Ausdruck für Fachleute (Gruppe „Zeitgeber“).' : '';
    if (simple && applied === body) text = `Übernommen: ${simple.amount} ${UNITS.find((u) => u.key === simple.unit).label}.`;
    setMessage({ text, problem: false });
  }, [element.id, body]);
  const apply = () => {
    const iso = toIso(amount, unit);
    if (!iso) { setMessage({ text: 'Bitte eine ganze Zahl zwischen 1 und 9999 angeben.', problem: true }); return; }
    setApplied(`"${iso}"`);
    modeling.updateModdleProperties(element, definition, {
      timeDuration: bpmnFactory.create('bpmn:FormalExpression', { body: `"${iso}"` }),
      timeDate: undefined, timeCycle: undefined,
    });
    setMessage({ text: `Übernommen: ${amount} ${UNITS.find((u) => u.key === unit).label}.`, problem: false });
  };
  return h('div', { class: 'bio-properties-panel-entry fw-guided', id, children: [
    label(`${id}-amount`, 'Wartezeit: Anzahl'),
    h('input', { id: `${id}-amount`, type: 'number', min: 1, max: 9999, step: 1, class: 'bio-properties-panel-input',
      value: amount, onInput: (event) => setAmount(event.target.value) }),
    label(`${id}-unit`, 'Einheit'),
    select(`${id}-unit`, unit, UNITS.map((u) => ({ value: u.key, label: u.label })), setUnit),
    button('Übernehmen', apply, { class: 'fw-guided-button fw-guided-apply' }),
    status(`${id}-status`, message.text, message.problem),
  ] });
}
