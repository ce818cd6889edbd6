"""The message templates (Jinja2 ``.j2`` files, English and French), shipped as package
data so an installed crisiswatch finds them without a checkout; ``responders.templates``
renders them."""
