"""The review queue's rules: the case workflow, and what staff decisions teach models."""
