"""specklegan_tf.layers"""
