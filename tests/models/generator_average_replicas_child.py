"""Child process of test_generator_average.py: two MirroredStrategy replicas keep the numpy recursion's average."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_generator_average import batch, numpy_average, small_gan  # noqa: E402

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    gan = small_gan(generator_ema=0.8)
images, masks = batch(n=8)
iterator = iter(strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices((images, masks)).repeat().batch(8)))


@tf.function
def step():
    strategy.run(gan.train_step, args=(next(iterator),))


history = [[v.numpy().copy() for v in gan.generator.trainable_variables]]
for _ in range(3):
    step()
    history.append([v.numpy().copy() for v in gan.generator.trainable_variables])
for average, want in zip(gan.generator_average.averages, numpy_average(history, 0.8)):
    for replica_value in strategy.experimental_local_results(average):
        np.testing.assert_allclose(replica_value.numpy(), want, rtol=1e-4, atol=1e-6)
print("replicas agree")
