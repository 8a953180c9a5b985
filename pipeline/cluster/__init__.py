"""Cluster mode: the same stages as `presswatch run`, as procrastinate jobs in
PostgreSQL, so any number of `presswatch worker` processes can share the work."""
