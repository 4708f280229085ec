"""New process models: created from a template or a file, with starter teams and lane rules as data."""
