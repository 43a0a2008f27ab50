"""specklegan_tf.metrics"""
