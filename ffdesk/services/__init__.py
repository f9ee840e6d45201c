"""Services: what the window and the command line ask for, decided here (no Qt)."""
