"""The Dash cockpit: overview, mentions, incident, approvals, and the public status page.

`dashboard.app.create_app(ctx)` builds it; `dashboard.data` holds the only SQL,
`dashboard.figures` the pure plotting, `dashboard.actions` every change a human makes.
"""
