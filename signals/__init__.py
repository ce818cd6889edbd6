"""Early warning: pure causal detectors over per-minute buckets (``detectors``, ``counts``,
``baseline``, ``terms``), the detection stage that feeds them from the store (``detect``), and the alert
lifecycle: open, correlate, update, close, acknowledge (``alerts``). Paging people about an
alert is the responders' job (``responders.paging``)."""
