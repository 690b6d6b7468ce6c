"""newsbrief: a chat-ops news briefing bot for Discord."""

__version__ = "0.1.0"
