"""The notification service: delivers other services' events to their users once, and keeps
users' price alerts, firing them when a price tick crosses their threshold."""
