"""Every write that matters goes through one function here (verb_noun, keyword-only,
with the acting user), so the admin, commands and tasks behave the same."""
