"""The engine door: every SpiffWorkflow call of the app goes through this package.

Features import the public door from ``app.engine.service`` (start, complete, claim, fire
timers, load/run/record/save, the optimistic lock, the errors) and learn of a case's life through
``app.engine.signals``; nothing outside imports SpiffWorkflow or an underscore name from here, and
nothing in here imports a feature (``[tool.importlinter]`` in pyproject.toml, ``make lint``).
"""
