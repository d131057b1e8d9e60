"""Custom actions for the Rasa assistant, one module per capability. They never touch the database:
everything goes through the case backend's HTTP API with the service token."""
