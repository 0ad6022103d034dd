"""Business rules the specs declare or hand-owned code adds: cross-field checks, guards, state
machines and document locks, approvals, actions, derived values, numbering, extension hooks."""
