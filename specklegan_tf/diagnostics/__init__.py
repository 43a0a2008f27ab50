"""specklegan_tf.diagnostics: checks of the platform the package runs on (the top floor: it imports the models).

- ``native_crash_probe``: runs the forward and backward passes of the package's networks (or of a single
  convolution) in the current process, so that a parent can run it in a child process and turn a native crash of
  a TensorFlow kernel into a return code. See the README's "Known platform issues".
"""
