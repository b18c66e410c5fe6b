"""The outbox topics trading queues messages on; each is delivered (and retried) on its own."""

# One outbox message per consumer of a tick.
ANALYTICS_TOPIC = "analytics.ticks"
NOTIFICATION_TOPIC = "notification.price-ticks"
TICK_TOPICS = (ANALYTICS_TOPIC, NOTIFICATION_TOPIC)
# Users' notifications (sale.completed), to notification's /internal/notification-events.
NOTIFICATION_EVENTS_TOPIC = "notification.events"
