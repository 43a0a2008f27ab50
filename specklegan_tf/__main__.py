"""``python -m specklegan_tf COMMAND [options]``: the same as the installed ``specklegan`` command."""
import sys

from specklegan_tf.commands.main import main

sys.exit(main(prog="python -m specklegan_tf"))
