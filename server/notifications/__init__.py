"""Recipient notifications: out for delivery, delivered, failed; e-mail and SMS, queued durably."""
