"""WhatsApp through Meta's Cloud API (Graph API over httpx)."""

from channels.meta_whatsapp.adapter import MetaWhatsAppAdapter

__all__ = ["MetaWhatsAppAdapter"]
