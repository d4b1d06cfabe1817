"""Telegram: citizens in private chats and OPD staff in group chats, via python-telegram-bot."""

from channels.telegram.adapter import TelegramAdapter, TelegramConfig

__all__ = ["TelegramAdapter", "TelegramConfig"]
