"""The manager's audit log screen."""
