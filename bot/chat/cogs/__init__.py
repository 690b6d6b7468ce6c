"""Slash-command cogs: thin glue from Discord interactions to bot.frontend."""
