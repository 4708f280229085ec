"""Demo data that shows the product: invented cases in every step of the main processes.

``flask demo load`` calls :func:`app.demo.cases.load_demo_cases` after the accounts (never the test
database: tests count things). When it has created the cases it sends :data:`demo_cases_loaded`
with ``instances`` (the created cases), ``users`` (username → User) and ``now`` (the moment the
demo counts back from), so that other features add their own demo rows (journal entries,
appointments) to the same cases.
"""

from __future__ import annotations

from blinker import Namespace

demo_cases_loaded = Namespace().signal("demo-cases-loaded")
