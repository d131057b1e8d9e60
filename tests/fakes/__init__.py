"""Local stand-ins for the outside services the hub talks to (Twilio's REST API, Telegram's Bot API,
and a scripted Rasa for the hub's own unit tests), served over real HTTP on loopback."""
