"""The process stage: relevance, analysis of what lacks a current one, flagging into cases."""
