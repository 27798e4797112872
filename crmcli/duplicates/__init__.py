"""Duplicates: finding likely duplicate records, warning before one is made, merging them."""
