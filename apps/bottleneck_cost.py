"""The seeds' cost arithmetic, computed by keras_classics.profile from real Keras layers.

1. Inception's 1x1 bottleneck (Szegedy et al., "Going Deeper with Convolutions", CVPR 2015,
   https://arxiv.org/abs/1409.4842): a 5x5 convolution from 28x28x192 to 28x28x32 costs
   120,422,400 multiply-accumulates; reducing to 16 channels with a 1x1 convolution first
   costs 2,408,448 + 10,035,200 = 12,443,648.
2. VGG's stacked 3x3 convolutions (Simonyan & Zisserman, ICLR 2015, https://arxiv.org/abs/1409.1556):
   two 3x3 layers see a 5x5 window, as one 5x5 layer does, with 2 * 9 = 18 instead of 25
   weights per input-output channel pair.

Biases are left out (use_bias=False): MACs never count them, and the weight comparison is
about kernels. Run: python apps/bottleneck_cost.py
"""

import keras

from keras_classics.cost import profile, totals


def stack(input_shape, convolutions, name):
    """A model of (filters, kernel) convolutions with 'same' padding and no bias."""
    x = inputs = keras.Input(input_shape, name=f"{name}_input")
    for i, (filters, kernel) in enumerate(convolutions, 1):
        x = keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}_conv{i}_{kernel}x{kernel}")(x)
    return keras.Model(inputs, x, name=name)


def report(model):
    frame = profile(model)
    layers = frame[frame["type"] != "InputLayer"]
    for row in layers.itertuples():
        print(f"  {row.name:<24} {'x'.join(map(str, row.output_shape)):>10}  {row.params:>9,} weights  {row.macs:>13,} MACs  receptive field {row.receptive_field}")
    total = totals(frame)
    print(f"  {'total':<24} {'':>10}  {total['params']:>9,} weights  {total['macs']:>13,} MACs")
    return frame


def main():
    print("5x5 convolution, 28x28x192 -> 28x28x32:")
    direct = report(stack((28, 28, 192), [(32, 5)], "direct"))
    print("1x1 bottleneck to 16 channels, then the 5x5:")
    bottleneck = report(stack((28, 28, 192), [(16, 1), (32, 5)], "bottleneck"))
    ratio = direct["macs"].sum() / bottleneck["macs"].sum()
    print(f"the bottleneck costs {ratio:.1f}x fewer multiply-accumulates\n")

    channels = 64
    print(f"two 3x3 convolutions versus one 5x5, {channels} channels in and out, 28x28:")
    two = report(stack((28, 28, channels), [(channels, 3), (channels, 3)], "two_3x3"))
    one = report(stack((28, 28, channels), [(channels, 5)], "one_5x5"))
    print(
        f"receptive field {two['receptive_field'].iloc[-1]} and {one['receptive_field'].iloc[-1]}; "
        f"weights {two['params'].sum():,} versus {one['params'].sum():,} "
        f"({two['params'].sum() / one['params'].sum():.2f} = 18/25), and the stack has room for a nonlinearity between its layers"
    )


if __name__ == "__main__":
    main()
