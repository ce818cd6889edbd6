"""The Dash cockpit: overview, mentions, rumours, incident, approvals, sources and the
status-page admin page (``pages/``, one module per page), and the routes anyone can reach
without logging in (``public/``: the status page, its feeds, subscriptions, alert
acknowledgement links).

``dashboard.app.create_app(ctx)`` builds it. Queries live in the ``*_data`` modules
(``data``, ``rumour_data``, ``source_data``, ``status_admin_data``) and ``public/queries``;
``dashboard.figures`` is the pure plotting and ``dashboard.actions`` every change a human
makes (it reads the rows it changes); ``auth`` reads users. Pages call those; the approvals
and rumours pages still read a few rows themselves.
"""
