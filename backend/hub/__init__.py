"""The conversation hub: every channel's messages are stored here first, then routed to the bot (Rasa's
REST channel) or to a person, and every reply leaves through the resident's own channel."""
