"""Staff directory: departments, service groups, line managers, and staff import."""
