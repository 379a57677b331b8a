"""Identity: users, roles and permissions, data scopes, sign-in sessions and API tokens."""
