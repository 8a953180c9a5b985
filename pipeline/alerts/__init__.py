"""Alerts to the press department: the rules that raise them, their delivery, the channels."""
