"""一公开: the public portal. Everything here is readable without an account."""
