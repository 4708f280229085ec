"""Decision tables (DMN) called by business rule tasks: stored versions, import, editor.

A process owner changes thresholds in the browser without touching code; every saved table is a
new version, and the engine's spec cache parses the current version into new work
(``app/engine/specs.py``). Cells are Python expressions run by the sandboxed script engine.
"""
