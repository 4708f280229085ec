"""Context where the decision is made: what each task page shows of its case (the need, the goals,
the family, the chosen volunteer, the Rückmeldungen since the last talk), and the assignment facts
in the case header (volunteer, period, hours)."""
