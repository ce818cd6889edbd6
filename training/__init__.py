"""Not installed: the scripts that rebuild the committed heads and adapters in
``sentiment/weights`` from ``../shared/data`` (``make weights``) and check them
(``python -m training.evaluate``). Run from the checkout's root."""
