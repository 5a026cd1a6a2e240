"""Chores that several parts of the library share, each written once.

- :mod:`.files`: atomic write-then-rename, JSON in and out.
- :mod:`.results`: a results CSV keyed by some columns, rewritten atomically, that a run resumes from.
- :mod:`.timing`: the median of timed calls after a warm-up.
- :mod:`.shapes`: the input shape for a size and channel count, in Keras's image data format.
- :mod:`.models`: "a registry name or a ``.keras`` file" turned into a model.

Nothing here imports a backend at module level.
"""
