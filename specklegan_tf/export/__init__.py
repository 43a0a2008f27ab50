"""specklegan_tf.export"""
