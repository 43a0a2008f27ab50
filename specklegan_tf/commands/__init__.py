"""specklegan_tf.commands: the command line (``specklegan COMMAND``, ``python -m specklegan_tf COMMAND``).

The top floor of the package: each module parses and checks its options without TensorFlow, prints its first
line, starts TensorFlow quietly (``startup``) and calls the package. ``main`` dispatches the subcommands;
``checks`` holds the option checks; ``trainer`` the shared body of the training commands.
"""
