"""The MBE procedure's own pages (helper of issue 3a): the printable Integrationsvereinbarung
generated from the Förderplan, and the plan summary shown in the case view."""
