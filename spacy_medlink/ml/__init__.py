"""Model architectures (thinc layers) registered for spaCy configs."""
