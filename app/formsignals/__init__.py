"""Signals that reach someone: a form field that says "someone must know" becomes a to-do."""
