"""Supervisors: instance monitor, live diagram, interventions (issue 6, items 1-3)."""
