"""Webhooks to the partner: payload builders and the outbox dispatcher."""
