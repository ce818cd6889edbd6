"""Everything anyone can reach without logging in: the public status page and its JSON
(``page``), its RSS and Atom feeds (``feeds``), the subscription routes (``subscribe``) and
the alert acknowledgement links and inbound SMS replies (``ack``). ``dashboard.auth`` lets
exactly ``page.PUBLIC_PATHS`` / ``PUBLIC_PREFIXES`` and the ack routes through."""
