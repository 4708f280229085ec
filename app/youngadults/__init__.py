"""Junge Erwachsene (seed 003): what the process "junge_erwachsene" needs beside its forms — the
case title from the person's name, transitions between legal systems as dated case events with
their checklist (open items become the team's to-dos), and the case view's section on the
situation, offers and transitions."""
