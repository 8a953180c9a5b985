"""Claim (narrative) matching: retrieve, anchor, verify.

* `retrieve`: cheap candidate sentences per narrative, tuned for recall
  (character n-gram TF-IDF against the statements and examples).
* `anchor`: the claim's subjects (derived from its statements, or `subjects:`
  in config) must be named in the sentence, its neighbours or the title.
* `verify`: a trained model over (claim, sentence, context, title) says
  asserts / denies / related / unrelated (`features`, `model`, `build`).
* `matcher`: the three steps over an article, as the analyzer calls them.

Training data (invented narratives, never the configured ones) lives in
nlp/data/verify; `python -m nlp.claims.build` rebuilds the shipped weights and
`python -m nlp.claims.evaluate` prints the leave-one-narrative-out figures.
"""
