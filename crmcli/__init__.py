"""crmcli: a CRM whose database is plain YAML files in a git repository."""

__version__ = "0.1.0"
