"""The incremental index in `.crm/`: parsed records, their problems, computed values and
reverse references, kept so that reading commands do not parse the workspace again."""
