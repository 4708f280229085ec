"""The form builder: task forms defined by process owners as versioned data (forms/builder.py
builds their WTForms classes), pinned to the process versions that use them."""
