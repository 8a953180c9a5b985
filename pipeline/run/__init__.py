"""Running unattended: the stages in order (stages) and the APScheduler daemon (scheduler)."""
