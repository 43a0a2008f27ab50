"""specklegan_tf.core: the ground floor every other package may import (and which imports none of them).

- :mod:`specklegan_tf.core.atomic_files`: writing files and folders so that a kill never leaves half of one.
- :mod:`specklegan_tf.core.validators`: the rules on option values, each written once, with errors naming the
  option.
"""
