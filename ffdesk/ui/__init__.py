"""The window: Qt widgets that render what the engine and the services decide."""
