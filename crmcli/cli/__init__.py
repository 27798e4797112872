"""The `crm` command line: a thin layer over the library."""
