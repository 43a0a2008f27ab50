"""specklegan_tf.training"""
