"""Delivery errors."""

from matchers.errors import TrialwatchError


class DeliveryError(TrialwatchError):
    """Telegram did not accept a message; the deliveries in it stay queued."""
