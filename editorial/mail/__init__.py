"""E-mail as infrastructure: composing messages (compose, subscriber) and handing them to
the mail server (transport). The services decide who gets what and when; nothing here
imports a service."""
