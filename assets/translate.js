// German labels for bpmn-js and its properties panel (the most visible ones; the rest stays
// English). Replaces the `translate` service.
const DE = {
  'General': 'Allgemein', 'Name': 'Name', 'ID': 'ID', 'Documentation': 'Dokumentation',
  'Element documentation': 'Dokumentation des Elements', 'Process documentation': 'Dokumentation des Prozesses',
  'Timer': 'Zeitgeber', 'Type': 'Art', 'Value': 'Wert', 'Date': 'Datum', 'Duration': 'Dauer',
  'Cycle': 'Wiederholung', '<none>': '<keine>', 'Executable': 'Ausführbar', 'Message': 'Nachricht',
  'Signal': 'Signal', 'Escalation': 'Eskalation', 'Error': 'Fehler', 'Global message reference': 'Nachricht',
  'Properties panel': 'Eigenschaften', 'Process': 'Prozess', 'Select an element to edit its properties.':
    'Wählen Sie ein Element, um seine Eigenschaften zu bearbeiten.',
  'ID must be unique.': 'Die ID muss eindeutig sein.', 'ID must not be empty.': 'Die ID darf nicht leer sein.',
  'ID must not contain spaces.': 'Die ID darf keine Leerzeichen enthalten.',
  'Activate hand tool': 'Hand-Werkzeug', 'Activate lasso tool': 'Lasso-Werkzeug',
  'Activate create/remove space tool': 'Platz einfügen/entfernen', 'Activate global connect tool': 'Verbinden',
  'Create start event': 'Startereignis anlegen', 'Create end event': 'Endereignis anlegen',
  'Create task': 'Aufgabe anlegen', 'Create gateway': 'Gateway anlegen',
  'Create intermediate/boundary event': 'Zwischenereignis anlegen', 'Create pool/participant': 'Pool anlegen',
  'Create expanded sub-process': 'Teilprozess anlegen', 'Create data object reference': 'Datenobjekt anlegen',
  'Create data store reference': 'Datenspeicher anlegen', 'Create group': 'Gruppe anlegen',
  'Append task': 'Aufgabe anhängen', 'Append end event': 'Endereignis anhängen', 'Append gateway': 'Gateway anhängen',
  'Append intermediate/boundary event': 'Zwischenereignis anhängen', 'Change element': 'Element ändern',
  'Delete': 'Löschen', 'Connect to other element': 'Verbinden', 'Add text annotation': 'Anmerkung',
  'Add lane above': 'Bahn darüber', 'Add lane below': 'Bahn darunter', 'Divide into two lanes': 'In zwei Bahnen teilen',
  'Divide into three lanes': 'In drei Bahnen teilen', 'Search in diagram': 'Im Diagramm suchen',
};

export function translate(template, replacements) {
  const values = replacements || {};
  return (DE[template] || template).replace(/{([^}]+)}/g, (match, key) =>
    (values[key] !== undefined ? values[key] : match));
}

export default { translate: ['value', translate] };
