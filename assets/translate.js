// German labels for bpmn-js, diagram-js and the properties panel: every string the process owner
// sees in the palette, the context pad (their titles are the tooltips), the replace menu, the
// properties panel (BPMN groups and entries) and its header. Replaces the `translate` service.
// tests/modeler/test_translate_labels.py scans node_modules for the strings these modules pass to
// `translate` and fails when one has no German entry here.
export const DE = {
  // --- palette and tools
  'Activate hand tool': 'Hand-Werkzeug: Diagramm verschieben',
  'Activate lasso tool': 'Lasso-Werkzeug: mehrere Elemente auswählen',
  'Activate create/remove space tool': 'Platz einfügen oder entfernen',
  'Activate global connect tool': 'Verbindungs-Werkzeug: Elemente verbinden',
  'Create start event': 'Startereignis anlegen', 'Create end event': 'Endereignis anlegen',
  'Create task': 'Aufgabe anlegen', 'Create gateway': 'Verzweigung (Gateway) anlegen',
  'Create intermediate/boundary event': 'Zwischen- oder Randereignis anlegen',
  'Create pool/participant': 'Pool (Beteiligte) anlegen', 'Create expanded sub-process': 'Teilprozess anlegen',
  'Create data object reference': 'Datenobjekt anlegen', 'Create data store reference': 'Datenspeicher anlegen',
  'Create group': 'Gruppe anlegen', 'Create': 'Anlegen', 'Search in diagram': 'Im Diagramm suchen',
  // --- context pad
  'Append task': 'Aufgabe anhängen', 'Append end event': 'Endereignis anhängen',
  'Append gateway': 'Verzweigung (Gateway) anhängen',
  'Append intermediate/boundary event': 'Zwischenereignis anhängen',
  'Append compensation activity': 'Kompensationsaktivität anhängen',
  'Append conditional intermediate catch event': 'Bedingungs-Zwischenereignis anhängen',
  'Append message intermediate catch event': 'Nachrichten-Zwischenereignis anhängen',
  'Append receive task': 'Empfangsaufgabe anhängen',
  'Append signal intermediate catch event': 'Signal-Zwischenereignis anhängen',
  'Append timer intermediate catch event': 'Zeitgeber-Zwischenereignis anhängen (warten)',
  'Change element': 'Art des Elements ändern', 'Delete': 'Löschen',
  'Connect to other element': 'Mit anderem Element verbinden', 'Connect using association': 'Mit Assoziation verbinden',
  'Connect using data input association': 'Mit Dateneingabe verbinden', 'Add text annotation': 'Anmerkung hinzufügen',
  'Add lane above': 'Bahn darüber einfügen', 'Add lane below': 'Bahn darunter einfügen',
  'Divide into two lanes': 'In zwei Bahnen teilen', 'Divide into three lanes': 'In drei Bahnen teilen',
  'Align elements': 'Elemente ausrichten', 'Align elements ': 'Elemente ausrichten',
  'Distribute elements horizontally': 'Elemente waagerecht verteilen',
  'Distribute elements vertically': 'Elemente senkrecht verteilen',
  'Open {element}': '{element} öffnen',
  // --- replace menu ("Art des Elements ändern")
  'Start event': 'Startereignis', 'End event': 'Endereignis', 'Intermediate throw event': 'Zwischenereignis (auslösend)',
  'Boundary event': 'Randereignis', 'Task': 'Aufgabe', 'User task': 'Benutzeraufgabe', 'Manual task': 'Manuelle Aufgabe',
  'Script task': 'Skriptaufgabe', 'Service task': 'Serviceaufgabe', 'Send task': 'Sendeaufgabe',
  'Receive task': 'Empfangsaufgabe', 'Business rule task': 'Geschäftsregel-Aufgabe (Entscheidungstabelle)',
  'Call activity': 'Aufruf-Aktivität', 'Sub-process': 'Teilprozess', 'Sub-process (collapsed)': 'Teilprozess (zugeklappt)',
  'Sub-process (expanded)': 'Teilprozess (aufgeklappt)', 'Event sub-process': 'Ereignis-Teilprozess',
  'Ad-hoc sub-process': 'Ad-hoc-Teilprozess', 'Ad-hoc sub-process (collapsed)': 'Ad-hoc-Teilprozess (zugeklappt)',
  'Ad-hoc sub-process (expanded)': 'Ad-hoc-Teilprozess (aufgeklappt)', 'Transaction': 'Transaktion',
  'Exclusive gateway': 'Exklusive Verzweigung (genau ein Weg)', 'Parallel gateway': 'Parallele Verzweigung (alle Wege)',
  'Inclusive gateway': 'Inklusive Verzweigung (ein oder mehrere Wege)', 'Complex gateway': 'Komplexe Verzweigung',
  'Event-based gateway': 'Ereignisbasierte Verzweigung',
  'Event based instantiating Gateway': 'Ereignisbasierte Verzweigung (startet Instanz)',
  'Parallel Event based instantiating Gateway': 'Parallele ereignisbasierte Verzweigung (startet Instanz)',
  'Sequence flow': 'Sequenzfluss', 'Default flow': 'Standardfluss', 'Conditional flow': 'Bedingter Fluss',
  'Data object reference': 'Datenobjekt', 'Data store reference': 'Datenspeicher',
  'Empty pool/participant': 'Leerer Pool', 'Expanded pool/participant': 'Aufgeklappter Pool',
  'Message start event': 'Nachrichten-Startereignis', 'Timer start event': 'Zeitgeber-Startereignis',
  'Conditional start event': 'Bedingungs-Startereignis', 'Signal start event': 'Signal-Startereignis',
  'Error start event': 'Fehler-Startereignis', 'Escalation start event': 'Eskalations-Startereignis',
  'Compensation start event': 'Kompensations-Startereignis',
  'Message start event (non-interrupting)': 'Nachrichten-Startereignis (nicht unterbrechend)',
  'Timer start event (non-interrupting)': 'Zeitgeber-Startereignis (nicht unterbrechend)',
  'Conditional start event (non-interrupting)': 'Bedingungs-Startereignis (nicht unterbrechend)',
  'Signal start event (non-interrupting)': 'Signal-Startereignis (nicht unterbrechend)',
  'Escalation start event (non-interrupting)': 'Eskalations-Startereignis (nicht unterbrechend)',
  'Message intermediate catch event': 'Nachrichten-Zwischenereignis (empfangend)',
  'Message intermediate throw event': 'Nachrichten-Zwischenereignis (sendend)',
  'Timer intermediate catch event': 'Zeitgeber-Zwischenereignis (warten)',
  'Escalation intermediate throw event': 'Eskalations-Zwischenereignis',
  'Conditional intermediate catch event': 'Bedingungs-Zwischenereignis',
  'Link intermediate catch event': 'Link-Zwischenereignis (Ziel)', 'Link intermediate throw event': 'Link-Zwischenereignis (Sprung)',
  'Compensation intermediate throw event': 'Kompensations-Zwischenereignis',
  'Signal intermediate catch event': 'Signal-Zwischenereignis (empfangend)',
  'Signal intermediate throw event': 'Signal-Zwischenereignis (sendend)',
  'Message end event': 'Nachrichten-Endereignis', 'Escalation end event': 'Eskalations-Endereignis',
  'Error end event': 'Fehler-Endereignis', 'Cancel end event': 'Abbruch-Endereignis',
  'Compensation end event': 'Kompensations-Endereignis', 'Signal end event': 'Signal-Endereignis',
  'Terminate end event': 'Terminierungs-Endereignis (beendet alles)',
  'Message boundary event': 'Nachrichten-Randereignis', 'Timer boundary event': 'Zeitgeber-Randereignis (Frist)',
  'Escalation boundary event': 'Eskalations-Randereignis', 'Conditional boundary event': 'Bedingungs-Randereignis',
  'Error boundary event': 'Fehler-Randereignis', 'Cancel boundary event': 'Abbruch-Randereignis',
  'Signal boundary event': 'Signal-Randereignis', 'Compensation boundary event': 'Kompensations-Randereignis',
  'Message boundary event (non-interrupting)': 'Nachrichten-Randereignis (nicht unterbrechend)',
  'Timer boundary event (non-interrupting)': 'Zeitgeber-Randereignis (nicht unterbrechend, z. B. Erinnerung)',
  'Escalation boundary event (non-interrupting)': 'Eskalations-Randereignis (nicht unterbrechend)',
  'Conditional boundary event (non-interrupting)': 'Bedingungs-Randereignis (nicht unterbrechend)',
  'Signal boundary event (non-interrupting)': 'Signal-Randereignis (nicht unterbrechend)',
  'Loop': 'Schleife', 'Parallel multi-instance': 'Mehrfach, parallel', 'Sequential multi-instance': 'Mehrfach, nacheinander',
  'Collection': 'Sammlung', 'Participant multiplicity': 'Mehrere Beteiligte', 'Toggle non-interrupting': 'Unterbrechend / nicht unterbrechend',
  // --- properties panel (frame)
  'Properties panel': 'Eigenschaften', 'Select an element to edit its properties.':
    'Wählen Sie ein Element, um seine Eigenschaften zu bearbeiten.',
  'Multiple elements are selected. Select a single element to edit its properties.':
    'Mehrere Elemente sind ausgewählt. Wählen Sie ein einzelnes Element, um seine Eigenschaften zu bearbeiten.',
  'Toggle section': 'Abschnitt auf- oder zuklappen', 'Section contains edits': 'Abschnitt enthält Angaben',
  'Section contains an error': 'Abschnitt enthält einen Fehler', 'Create new list item': 'Neuen Eintrag anlegen',
  'Delete item': 'Eintrag löschen', 'Toggle list item': 'Eintrag auf- oder zuklappen',
  'Open documentation': 'Dokumentation öffnen', 'Open pop-up editor': 'In großem Editor öffnen',
  'Opened in editor': 'Im Editor geöffnet', 'JSON contains errors': 'JSON enthält Fehler', '<empty>': '<leer>',
  '<none>': '<keine>', 'FEEL expression is mandatory': 'Ein FEEL-Ausdruck ist nötig',
  'Unparsable FEEL expression.': 'Der FEEL-Ausdruck ist nicht lesbar.',
  // --- properties panel (BPMN groups and entries)
  'General': 'Allgemein', 'Name': 'Name', 'ID': 'ID', 'Documentation': 'Dokumentation',
  'Element documentation': 'Dokumentation des Elements', 'Process documentation': 'Dokumentation des Prozesses',
  'Process': 'Prozess', 'Process ID': 'Prozess-ID', 'Process name': 'Prozessname', 'Participant Name': 'Name des Pools',
  'Executable': 'Ausführbar', 'Timer': 'Zeitgeber', 'Type': 'Art', 'Value': 'Wert', 'Date': 'Datum',
  'Duration': 'Dauer', 'Cycle': 'Wiederholung', 'Documentation: Timer events': 'Dokumentation: Zeitgeber-Ereignisse',
  'A specific point in time defined as ISO 8601 combined date and time representation.':
    'Ein Zeitpunkt im Format ISO 8601 (Datum und Uhrzeit), in Anführungszeichen.',
  'A time duration defined as ISO 8601 durations format.':
    'Eine Dauer im Format ISO 8601, in Anführungszeichen, z. B. "P14D". Einfacher: „Wartezeit“ in der Gruppe Fallwerk.',
  'A cycle defined as ISO 8601 repeating intervals format.': 'Eine Wiederholung im Format ISO 8601, z. B. "R3/P1D".',
  'UTC time': 'UTC-Zeit', 'UTC plus 2 hours zone offset': 'UTC plus 2 Stunden', '15 seconds': '15 Sekunden',
  '1 hour and 30 minutes': '1 Stunde und 30 Minuten', '14 days': '14 Tage',
  'every 10 seconds, up to 5 times': 'alle 10 Sekunden, höchstens 5-mal', 'every day, infinitely': 'jeden Tag, unbegrenzt',
  'Message': 'Nachricht', 'Global message reference': 'Nachricht', 'Signal': 'Signal',
  'Global signal reference': 'Signal', 'Escalation': 'Eskalation', 'Global escalation reference': 'Eskalation',
  'Error': 'Fehler', 'Global error reference': 'Fehler', 'Code': 'Code', 'Link': 'Link',
  'Compensation': 'Kompensation', 'Activity reference': 'Bezug auf Aktivität', 'Wait for completion': 'Auf Abschluss warten',
  'Multi-instance': 'Mehrfach-Ausführung', 'Loop cardinality': 'Anzahl Durchläufe',
  'Completion condition': 'Abschlussbedingung', 'Completion': 'Abschluss',
  'Cancel remaining instances': 'Übrige Durchläufe abbrechen', 'Create new ...': 'Neu anlegen …',
  'ID must be unique.': 'Die ID muss eindeutig sein.', 'ID must not be empty.': 'Die ID darf nicht leer sein.',
  'ID must not contain spaces.': 'Die ID darf keine Leerzeichen enthalten.',
  'ID must not contain prefix.': 'Die ID darf kein Präfix enthalten.',
  'ID must be a valid QName.': 'Die ID muss mit einem Buchstaben beginnen und darf nur Buchstaben, Ziffern, - und _ enthalten.',
  ' or ': ' oder ',
};

// Header of the properties panel: the element's type, e.g. "User Task", "Timer Boundary Event
// (Non Interrupting)" (bpmn-js-properties-panel splits the type name into words).
const TYPES = {
  'Association': 'Assoziation', 'Business Rule Task': 'Geschäftsregel-Aufgabe', 'Call Activity': 'Aufruf-Aktivität',
  'Collaboration': 'Zusammenarbeit', 'Conditional Flow': 'Bedingter Fluss', 'Sequence Flow': 'Sequenzfluss',
  'Data Input': 'Dateneingabe', 'Data Input Association': 'Dateneingabe-Verbindung', 'Data Output': 'Datenausgabe',
  'Data Output Association': 'Datenausgabe-Verbindung', 'Data Object Reference': 'Datenobjekt',
  'Data Store Reference': 'Datenspeicher', 'Default Flow': 'Standardfluss', 'Event Sub Process': 'Ereignis-Teilprozess',
  'Complex Gateway': 'Komplexe Verzweigung', 'Event Based Gateway': 'Ereignisbasierte Verzweigung',
  'Exclusive Gateway': 'Exklusive Verzweigung', 'Gateway': 'Verzweigung', 'Inclusive Gateway': 'Inklusive Verzweigung',
  'Parallel Gateway': 'Parallele Verzweigung', 'Group': 'Gruppe', 'Lane': 'Bahn', 'Manual Task': 'Manuelle Aufgabe',
  'Message Flow': 'Nachrichtenfluss', 'Participant': 'Pool', 'Process': 'Prozess', 'Receive Task': 'Empfangsaufgabe',
  'Script Task': 'Skriptaufgabe', 'Send Task': 'Sendeaufgabe', 'Service Task': 'Serviceaufgabe',
  'Collapsed Sub Process': 'Teilprozess (zugeklappt)', 'Collapsed Ad Hoc Sub Process': 'Ad-hoc-Teilprozess (zugeklappt)',
  'Expanded Sub Process': 'Teilprozess', 'Expanded Ad Hoc Sub Process': 'Ad-hoc-Teilprozess', 'Task': 'Aufgabe',
  'Text Annotation': 'Anmerkung', 'Transaction': 'Transaktion', 'User Task': 'Benutzeraufgabe',
};
const EVENTS = {
  'Start Event': 'Startereignis', 'End Event': 'Endereignis', 'Intermediate Catch Event': 'Zwischenereignis (empfangend)',
  'Intermediate Throw Event': 'Zwischenereignis (auslösend)', 'Boundary Event': 'Randereignis',
};
const KINDS = {
  'Timer': 'Zeitgeber', 'Message': 'Nachricht', 'Signal': 'Signal', 'Error': 'Fehler', 'Escalation': 'Eskalation',
  'Conditional': 'Bedingung', 'Compensate': 'Kompensation', 'Cancel': 'Abbruch', 'Link': 'Link',
  'Multiple': 'mehrfach', 'Parallel Multiple': 'parallel mehrfach', 'Parallel': 'parallel', 'Terminate': 'Terminierung',
};
const EVENT_TYPE = new RegExp(`^(?:(${Object.keys(KINDS).sort((a, b) => b.length - a.length).join('|')}) )?`
  + `(${Object.keys(EVENTS).join('|')})( \\(Non Interrupting\\))?$`);

export function typeLabel(text) {
  if (TYPES[text]) return TYPES[text];
  const match = EVENT_TYPE.exec(text);
  if (!match) return null;
  let label = EVENTS[match[2]];
  if (match[1]) label += ` – ${KINDS[match[1]]}`;
  if (match[3]) label += ' (nicht unterbrechend)';
  return label;
}

export function translate(template, replacements) {
  const values = replacements || {};
  const german = DE[template] || typeLabel(template) || template;
  return german.replace(/{([^}]+)}/g, (match, key) => (values[key] !== undefined ? values[key] : match));
}

export default { translate: ['value', translate] };
