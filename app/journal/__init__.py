"""The case journal (Verlauf): contacts, notes and agreed next steps between the BPMN steps."""
