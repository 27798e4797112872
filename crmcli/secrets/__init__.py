"""Hidden fields encrypted in the files: the data key, who holds it, and sealed values."""
