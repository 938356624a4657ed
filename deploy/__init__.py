"""Serving the app to many people at once: replicas behind nginx (:mod:`deploy.serve`, docs/scale.md)."""
