"""Twilio: SMS and WhatsApp, two channel names on one wire format."""

from channels.twilio.adapter import TwilioSmsAdapter, TwilioWhatsAppAdapter

__all__ = ["TwilioSmsAdapter", "TwilioWhatsAppAdapter"]
