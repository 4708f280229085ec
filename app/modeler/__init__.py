"""The process owner's modeler: drafts, validation, versions, publishing, migration of cases."""
