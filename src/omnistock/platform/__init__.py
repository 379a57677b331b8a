"""Cross-cutting plumbing: database, unit of work, auth, errors, audit, outbox. No business rules."""
