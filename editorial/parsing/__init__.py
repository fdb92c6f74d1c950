"""Pure-Python bulletin parsers: no Django imports anywhere in this package."""
