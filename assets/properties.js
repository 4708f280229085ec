// The Fallwerk group of the properties panel: what the engine reads from a diagram.
//   user task      form (formKey), lane/role override (lane), due date (dueIn / dueDate)
//   lane           its role (the lane name must be one of the known lane rules)
//   sequence flow  the condition of a flow leaving a gateway (guided editor + expert field)
//   timer event    its duration as number + unit (guided.js)
//   script task    the script (sandboxed Python)
// Values are stored in SpiffWorkflow's extension format:
//   <bpmn:extensionElements><spiffworkflow:properties>
//     <spiffworkflow:property name="formKey" value="..."/>
import {
  SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { GuidedConditionEntry, GuidedDueEntry, GuidedTimerEntry, timerDefinition } from './guided.js';

function propertiesOf(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => is(v, 'spiffworkflow:Properties'));
}

export function getProperty(element, name) {
  const props = propertiesOf(getBusinessObject(element));
  const prop = props && (props.properties || []).find((p) => p.name === name);
  return prop ? prop.value : undefined;
}

function setProperty(element, name, value, bpmnFactory, commandStack) {
  const bo = getBusinessObject(element);
  const commands = [];
  let ext = bo.extensionElements;
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  let props = propertiesOf(bo) || (ext.values || []).find((v) => is(v, 'spiffworkflow:Properties'));
  if (!props) {
    props = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: ext, properties: { values: [...(ext.values || []), props] } } });
  }
  const list = props.properties || [];
  const prop = list.find((p) => p.name === name);
  if (!value) {
    if (prop) {
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: props, properties: { properties: list.filter((p) => p !== prop) } } });
    }
  } else if (prop) {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: prop, properties: { value } } });
  } else {
    const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
    created.$parent = props;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: props, properties: { properties: [...list, created] } } });
  }
  if (commands.length) commandStack.execute('properties-panel.multi-command-executor', commands);
}

function usePropertyAccess(element, name) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  return {
    getValue: () => getProperty(element, name) || '',
    setValue: (value) => setProperty(element, name, (value || '').trim(), bpmnFactory, commandStack),
  };
}

function FormKeyEntry({ element, id }) {
  const config = useService('config.fallwerk') || {};
  const debounce = useService('debounceInput');
  const access = usePropertyAccess(element, 'formKey');
  const getOptions = () => {
    const options = [{ value: '', label: '– kein Formular –' }];
    const current = getProperty(element, 'formKey');
    const known = (config.forms || []).map((f) => ({ value: f.key, label: f.title ? `${f.title} (${f.key})` : f.key }));
    if (current && !known.some((o) => o.value === current)) {
      options.push({ value: current, label: `${current} (unbekannt)` });
    }
    return options.concat(known);
  };
  return jsx(SelectEntry, { element, id, label: 'Formular', getOptions, debounce, ...access });
}

function LaneOverrideEntry({ element, id }) {
  const config = useService('config.fallwerk') || {};
  const access = usePropertyAccess(element, 'lane');
  const lane = laneName(element);
  const getOptions = () => [{ value: '', label: lane ? `wie die Bahn: ${lane}` : 'wie die Bahn' }]
    .concat((config.lanes || []).map((l) => ({ value: l.key, label: `${l.key} – ${l.description}` })));
  return jsx(SelectEntry, { element, id, label: 'Zuständig (Bahn/Rolle)', getOptions, ...access,
    description: 'Leer: die Aufgabe geht an die Bahn, in der sie liegt.' });
}

function laneName(element) {
  const bo = getBusinessObject(element);
  const lanes = bo.get ? (bo.get('lanes') || []) : [];
  if (lanes.length) return lanes[0].name;
  let parent = element.parent;
  while (parent) {
    if (is(parent, 'bpmn:Lane')) return getBusinessObject(parent).name;
    parent = parent.parent;
  }
  return '';
}

function TextProperty(name, label, description) {
  return function Entry({ element, id }) {
    const debounce = useService('debounceInput');
    return jsx(TextFieldEntry, { element, id, label, description, debounce, ...usePropertyAccess(element, name) });
  };
}

const DueInEntry = TextProperty('dueIn', 'Frist als ISO-Dauer (für Fachleute)',
  'ISO-8601-Dauer ab Beginn der Aufgabe, z. B. P14D (14 Tage) oder PT4H (4 Stunden).');
const DueDateEntry = TextProperty('dueDate', 'Frist als Ausdruck (für Fachleute)',
  'Python-Ausdruck über die Falldaten, der eine Dauer oder ein Datum ergibt; ersetzt die Frist als Dauer.');

function LaneRoleEntry({ element, id }) {
  const config = useService('config.fallwerk') || {};
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  const getOptions = () => {
    const options = (config.lanes || []).map((l) => ({ value: l.key, label: `${l.key} – ${l.description}` }));
    if (bo.name && !options.some((o) => o.value === bo.name)) {
      options.unshift({ value: bo.name, label: `${bo.name} (unbekannte Rolle)` });
    }
    if (!bo.name) options.unshift({ value: '', label: '– bitte wählen –' });
    return options;
  };
  return jsx(SelectEntry, { element, id, label: 'Rolle der Bahn', getOptions,
    getValue: () => bo.name || '', setValue: (value) => modeling.updateProperties(element, { name: value }),
    description: 'Der Name der Bahn bestimmt, wer ihre Aufgaben bekommt.' });
}

function ConditionEntry({ element, id }) {
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element, id, label: 'Ausdruck für Fachleute', debounce, rows: 2,
    description: 'Python-Ausdruck über die Falldaten, z. B. ergebnis == "fortfuehren". Leer beim Standardfluss. '
      + 'Einfacher: die geführte Bedingung oben.',
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      const text = (value || '').trim();
      modeling.updateProperties(element, {
        conditionExpression: text ? bpmnFactory.create('bpmn:FormalExpression', { body: text }) : undefined,
      });
    },
  });
}

function ScriptEntry({ element, id }) {
  const modeling = useService('modeling');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element, id, label: 'Skript', debounce, rows: 5, monospace: true,
    description: 'Python im Sandkasten: keine Importe, keine Namen mit „_“.',
    getValue: () => bo.script || '',
    setValue: (value) => modeling.updateProperties(element, { scriptFormat: 'python', script: value || undefined }),
  });
}

function DueGuidedEntry({ element, id }) {
  const bpmnFactory = useService('bpmnFactory');
  const commandStack = useService('commandStack');
  return jsx(GuidedDueEntry, { element, id,
    setProperty: (name, value) => setProperty(element, name, value, bpmnFactory, commandStack) });
}

const edited = (element) => !!(getProperty(element, 'dueIn') || getProperty(element, 'dueDate'));

function entriesFor(element) {
  const bo = getBusinessObject(element);
  if (is(element, 'bpmn:UserTask')) {
    return [
      { id: 'fw-formKey', component: FormKeyEntry, isEdited: isSelectEntryEdited },
      { id: 'fw-lane', component: LaneOverrideEntry, isEdited: isSelectEntryEdited },
      { id: 'fw-due', component: DueGuidedEntry, isEdited: edited },
      { id: 'fw-dueIn', component: DueInEntry, isEdited: isTextFieldEntryEdited },
      { id: 'fw-dueDate', component: DueDateEntry, isEdited: isTextFieldEntryEdited },
    ];
  }
  if (is(element, 'bpmn:Lane')) {
    return [{ id: 'fw-laneRole', component: LaneRoleEntry, isEdited: isSelectEntryEdited }];
  }
  if (is(element, 'bpmn:SequenceFlow') && bo.sourceRef
      && (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'))) {
    return [
      { id: 'fw-condition-guided', component: GuidedConditionEntry,
        isEdited: () => !!(bo.conditionExpression && bo.conditionExpression.body) },
      { id: 'fw-condition', component: ConditionEntry, isEdited: isTextAreaEntryEdited },
    ];
  }
  if (is(element, 'bpmn:Event') && timerDefinition(element)) {
    return [{ id: 'fw-timer', component: GuidedTimerEntry, isEdited: () => false }];
  }
  if (is(element, 'bpmn:ScriptTask')) {
    return [{ id: 'fw-script', component: ScriptEntry, isEdited: isTextAreaEntryEdited }];
  }
  return [];
}

class FallwerkPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = entriesFor(element);
      if (entries.length) {
        groups.splice(1, 0, { id: 'fallwerk', label: 'Fallwerk', entries });
      }
      return groups;
    };
  }
}
FallwerkPropertiesProvider.$inject = ['propertiesPanel'];

export default {
  __init__: ['fallwerkPropertiesProvider'],
  fallwerkPropertiesProvider: ['type', FallwerkPropertiesProvider],
};
