"""The app's wiring: settings, CLI, pipeline schedule, demo and drill."""
