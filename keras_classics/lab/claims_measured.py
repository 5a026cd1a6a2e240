"""The cost claims (parameters and multiply-accumulates, from ``keras_classics.profile``) and the exact
claims (normalization axes, the zero-weight residual block), with their criteria. No training."""

from __future__ import annotations

from keras_classics.lab import criteria as cr
from keras_classics.lab import measures
from keras_classics.lab.claim import Claim
from keras_classics.lab.claims_training import GAP_SOURCE, NOTES_000, NOTES_002, NOTES_003

TOLERANCE = 1e-4  # largest output difference that counts as "the same normalization" (float32 layers vs float64 NumPy)


def _small_kernels(results):
    q = lambda name: cr.quantity(results, name)  # noqa: E731
    fewer = q("params 2x 3x3, 64 channels") < q("params 5x5, 64 channels") and q("params 2x 3x3, 1 channel") < q("params 5x5, 1 channel")
    cheaper = q("MACs 2x 3x3, 64 channels, 32x32") < q("MACs 5x5, 64 channels, 32x32")
    same_view = q("receptive field 2x 3x3") == q("receptive field 5x5")
    line = (f"1 channel: {q('params 2x 3x3, 1 channel'):.0f} vs {q('params 5x5, 1 channel'):.0f} parameters; 64 channels: "
            f"{q('params 2x 3x3, 64 channels'):,.0f} vs {q('params 5x5, 64 channels'):,.0f} parameters "
            f"({q('params 2x 3x3, 64 channels') / q('params 5x5, 64 channels'):.2f}x), "
            f"{q('MACs 2x 3x3, 64 channels, 32x32'):,.0f} vs {q('MACs 5x5, 64 channels, 32x32'):,.0f} MACs; "
            f"receptive field {q('receptive field 2x 3x3'):.0f} vs {q('receptive field 5x5'):.0f}")
    return cr.check_quantities(results, (fewer, cheaper, same_view), line)


def _bottleneck(results):
    factor = cr.quantity(results, "reduction factor")
    line = (f"{cr.quantity(results, 'MACs 5x5 direct'):,.0f} MACs direct vs {cr.quantity(results, 'MACs 1x1 to 16, then 5x5'):,.0f} "
            f"with the bottleneck: {factor:.2f}x fewer (about tenfold: 7.5-12.5)")
    return cr.check_quantities(results, (7.5 <= factor <= 12.5,), line)


def _gap_params(results):
    factor = cr.quantity(results, "reduction factor")
    line = (f"{cr.quantity(results, 'params, FC head'):,.0f} parameters with the FC head vs "
            f"{cr.quantity(results, 'params, GAP head'):,.0f} with global average pooling: {factor:.1f}x fewer")
    return cr.check_quantities(results, (factor > 1,), line)


def _grouped(results):
    p, m = cr.quantity(results, "params reduction factor"), cr.quantity(results, "MACs reduction factor")
    line = (f"{cr.quantity(results, 'params ungrouped'):,.0f} vs {cr.quantity(results, 'params 32 groups'):,.0f} parameters ({p:.0f}x), "
            f"{cr.quantity(results, 'MACs ungrouped'):,.0f} vs {cr.quantity(results, 'MACs 32 groups'):,.0f} MACs ({m:.0f}x)")
    return cr.check_quantities(results, (p > 1, m > 1), line)


NORM_ROWS = ("BN over N,H,W", "LN over C,H,W", "IN over H,W", "GN over C/G,H,W (G=4)")


def _norm_axes(results):
    errors = {name: cr.quantity(results, name) for name in NORM_ROWS}
    distinct = cr.quantity(results, "BN differs from LN")
    line = ("largest difference from a NumPy normalization over the notes' axes: "
            + ", ".join(f"{name} {err:.1e}" for name, err in errors.items())
            + f" (tolerance {TOLERANCE:g}); BN vs LN's axes differ by {distinct:.2f}")
    return cr.check_quantities(results, [e <= TOLERANCE for e in errors.values()] + [distinct > 0.1], line)


def _identity(results):
    v1 = cr.quantity(results, "v1 block, input a ReLU output: max |out - in|")
    v2 = cr.quantity(results, "v2 (pre-activation) block, any input: max |out - in|")
    line = f"max |output - input| with all weights and biases zero: post-activation block {v1:g} (non-negative input), pre-activation block {v2:g}"
    return cr.check_quantities(results, (v1 <= 1e-6, v2 <= 1e-6), line)


MEASURED_CLAIMS = (
    Claim(
        id="small-kernels", title="Two 3x3 convolutions beat one 5x5", kind="cost", seed_file=NOTES_002,
        source="Replacing a 5x5 kernel with two 3x3 kernels keeps the receptive field and reduces the parameters. "
               "(A 5x5 kernel has 5*5+1 = 26 parameters, two 3x3 kernels in a row (3*3+1)*2 = 20.)",
        source_original="小卷积核替代大卷积核：将5×5卷积核替换为两个3×3卷积核，既保持了感受野范围又减少了参数量。 / 5*5卷积核需要计算参数5*5+1=26 / 连续两次3*3的卷积核需要计算参数:(3*3+1*2=20",
        measured="Parameters, MACs and receptive field of one 5x5 convolution and of two stacked 3x3 ones, at 1 channel (the notes' "
                 "example) and at 64 channels on a 32x32 map, by keras_classics.profile.",
        criterion_text="holds if the two 3x3 convolutions have fewer parameters (1 and 64 channels) and fewer MACs than the 5x5 "
                       "and the same receptive field; otherwise does not hold.",
        criterion=_small_kernels, measure=measures.small_kernels,
    ),
    Claim(
        id="bottleneck-tenfold", title="A 1x1 bottleneck cuts an Inception branch's multiplications about tenfold", kind="cost",
        seed_file=NOTES_003,
        source="The 5x5 convolution alone (28x28x192 in, 28x28x32 out) takes about 120 million multiplications; a 1x1 "
               "convolution as a bottleneck layer (to 28x28x16) cuts the computation to one tenth, about 12 million.",
        source_original="只計算 5x5 的 convolution，就要做約 1億2千萬次的乘法運算 ... 使用 1x1 的 convolution 作為 bottleneck layer 可以減少運算量至 十分之一，約 1千200萬次的運算",
        measured="MACs of the 5x5 convolution 28x28x192 -> 28x28x32, with and without a 1x1 convolution to 16 channels before it.",
        criterion_text="holds if the bottleneck divides the MACs by a factor between 7.5 and 12.5 (about ten); otherwise does not hold.",
        criterion=_bottleneck, measure=measures.bottleneck,
    ),
    Claim(
        id="gap-params", title="Global average pooling instead of FC layers cuts parameters", kind="cost", seed_file=NOTES_000,
        **GAP_SOURCE,
        measured="Parameters of the gap-overfitting claim's network (16x16x1 input, as trained) with the FC head and with the GAP head.",
        criterion_text="holds if the GAP network has fewer parameters than the FC one; otherwise does not hold. The factor is reported.",
        criterion=_gap_params, measure=measures.gap_head,
    ),
    Claim(
        id="grouped-conv", title="Grouped convolution saves computation", kind="cost", seed_file=NOTES_002,
        source="ResNeXt improves computational efficiency through grouped convolutions.",
        source_original="ResNeXt则通过分组卷积来提高计算效率",
        measured="Parameters and MACs of a 3x3 convolution of 128 channels on a 14x14 map in 32 groups (ResNeXt's cardinality) and ungrouped.",
        criterion_text="holds if the grouped convolution has fewer parameters and fewer MACs (the hand count says 32x fewer); "
                       "otherwise does not hold.",
        criterion=_grouped, measure=measures.grouped_conv,
    ),
    Claim(
        id="norm-axes", title="BN, LN, IN and GN normalise over different axes", kind="exact", seed_file=NOTES_002,
        source="Take the feature map as [N, C, H, W]. BN normalises over N, H, W on the batch, keeping C; LN over C, H, W; "
               "IN over H, W; GN splits the channels into groups and then normalises.",
        source_original="BN 是在 batch 上，对 N、H、W 做归一化，而保留通道 C 的维度 ... LN 在通道方向上，对 C、H、W 归一化 ... IN 在图像像素上，对 H、W 做归一化 ... GN 将 channel 分组，然后再做归一化。",
        measured="The outputs of keras.layers BatchNormalization (training), LayerNormalization(axis=[1, 2, 3]), "
                 "GroupNormalization(groups=-1) (IN) and GroupNormalization(groups=4) on a 4x5x6x8 tensor, against NumPy "
                 "normalizations over the notes' axes; also what keras_classics.layers.norm('layer') averages over.",
        criterion_text=f"holds if every layer's output matches the NumPy normalization over the notes' axes within {TOLERANCE:g} "
                       "and BN's and LN's outputs differ (the axes matter on this tensor); otherwise does not hold.",
        criterion=_norm_axes, measure=measures.norm_axes,
    ),
    Claim(
        id="residual-identity", title="A residual block with zero weights is the identity", kind="exact", seed_file=NOTES_003,
        source="When W and b are both 0, the output of these two layers becomes the identity function, i.e. adding the two "
               "layers cannot hurt the network's performance at all.",
        source_original="當 W 和 b 都為 0 時，這兩層的 output 結果就變成 identity function，亦即加了這兩層 layer 完全不會傷害到 NN 的性能",
        measured="keras_classics.layers.residual_block (basic branch, identity shortcut, no norm) with every weight and bias set "
                 "to zero: post-activation on a ReLU output (as in the notes), pre-activation on any input.",
        criterion_text="holds if both blocks return their input exactly (max difference <= 1e-6); otherwise does not hold.",
        criterion=_identity, measure=measures.residual_identity,
    ),
)
