"""specklegan_tf.models"""
