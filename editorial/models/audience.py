"""Subscribers and deliveries.

Organisation, Subscriber, Subscription and Delivery arrive with the subscribers
capability (see docs/architecture.md); this module is where they will live.
"""
