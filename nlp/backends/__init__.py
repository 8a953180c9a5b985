"""NLP backends: what each plugs into the shared rule analyzer (nlp.analyzer)."""
