"""Running the incident: phases, facts, drafts, linter, approval, outbox, channels."""
