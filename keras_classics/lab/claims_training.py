"""The training claims: each a record with its experiment and its criterion, decided before any run.

Quick sizes are CI smoke runs (a few steps, seconds; their verdicts mean little);
full sizes are chosen so ``lab run --all`` fits in an hour on two CPU cores.
Accuracies are fractions; margins are in the metric's units (0.005 = half a point).
"""

from __future__ import annotations

from dataclasses import replace

from keras_classics.lab import criteria as cr
from keras_classics.lab.claim import Claim, Experiment, Model, Size, Verdict

QUICK = Size(epochs=2, batch_size=32, steps=2, input_size=16, validate=False, eager=True)
QUICK_LENET = replace(QUICK, input_size=32)
SMALL = dict(widths=(16, 32))  # the two-stage stack most claims turn one knob of
GAP_STACK = dict(widths=(32, 64), fc=(128,))  # the gap claims' network (measures.gap_head counts its parameters)
GAP_SIZE = 16  # its input size in the full run


def _stack(label, **knobs):
    return Model(label, "stack", {**SMALL, **knobs})


def _relu_faster(results):
    table = cr.per_seed(results, "train_loss", over="mean")
    d_tanh, d_sig = cr.difference(table, "tanh", "relu"), cr.difference(table, "sigmoid", "relu")
    o_tanh, o_sig = cr.compare(d_tanh, 0.02), cr.compare(d_sig, 0.02)
    line = (f"training loss averaged over the epochs: relu {cr.mean_of(table, 'relu')}, tanh {cr.mean_of(table, 'tanh')}, "
            f"sigmoid {cr.mean_of(table, 'sigmoid')}; tanh - relu {cr.describe(d_tanh)} ({o_tanh}), "
            f"sigmoid - relu {cr.describe(d_sig)} ({o_sig}), margin 0.02")
    return cr.combine([(o_tanh, {cr.AHEAD}, {cr.BEHIND, cr.LEVEL}), (o_sig, {cr.AHEAD}, {cr.BEHIND, cr.LEVEL})], line)


def _relu_deep(results):
    return cr.better_arm(results, claimed="relu", other="sigmoid", metric="train_loss", higher=False, margin=0.05,
                         what="final training loss", scale=1.0, unit="")


def _better_test(claimed, other, margin=0.005):
    def criterion(results):
        return cr.better_arm(results, claimed=claimed, other=other, metric="test_accuracy", margin=margin, what="test accuracy (%)")

    return criterion


def _lrn_not_useful(results):
    table = cr.per_seed(results, "test_accuracy")
    d = cr.difference(table, "lrn", "none")
    outcome = cr.compare(d, 0.005)
    line = (f"test accuracy (%): lrn {cr.mean_of(table, 'lrn', scale=100)} vs none {cr.mean_of(table, 'none', scale=100)}; "
            f"gain from LRN {cr.describe(d, scale=100, unit=' pts')}, margin 0.5 pts: {outcome}")
    return cr.outcome_verdict(outcome, line, holds=(cr.BEHIND, cr.LEVEL), fails=(cr.AHEAD,))


def _gap_overfits_less(results):
    results = results.assign(generalisation_gap=results["train_accuracy"] - results["test_accuracy"])
    verdict = cr.better_arm(results, claimed="gap", other="fc", metric="generalisation_gap", higher=False, margin=0.005,
                            what="train minus test accuracy (pts)")
    tests = cr.per_seed(results, "test_accuracy")
    return Verdict(verdict.status, verdict.line + f"; test accuracy gap {cr.mean_of(tests, 'gap', scale=100)}, "
                                                      f"fc {cr.mean_of(tests, 'fc', scale=100)}")


def _bn_init(results):
    table = cr.per_seed(results, "test_accuracy")
    drop_plain, drop_bn = cr.difference(table, "plain", "plain small init"), cr.difference(table, "bn", "bn small init")
    n = min(len(drop_plain), len(drop_bn))
    d = drop_plain[:n] - drop_bn[:n]
    outcome = cr.compare(d, 0.02)
    line = (f"test accuracy lost to a N(0, 0.01) initialisation: without BN {cr.describe(drop_plain, scale=100, unit=' pts')}, "
            f"with BN {cr.describe(drop_bn, scale=100, unit=' pts')}; BN's advantage {cr.describe(d, scale=100, unit=' pts')}, margin 2 pts: {outcome}")
    return cr.outcome_verdict(outcome, line)


def _bn_small_batch(results):
    table = cr.per_seed(results, "test_accuracy")
    drop_bn, drop_gn = cr.difference(table, "bn batch 64", "bn batch 2"), cr.difference(table, "gn batch 64", "gn batch 2")
    n = min(len(drop_bn), len(drop_gn))
    d = drop_bn[:n] - drop_gn[:n]
    o_d, o_gn = cr.compare(d, 0.01), cr.compare(drop_gn, 0.01)
    line = (f"test accuracy lost going from batch 64 to batch 2: BN {cr.describe(drop_bn, scale=100, unit=' pts')}, "
            f"GN {cr.describe(drop_gn, scale=100, unit=' pts')} ({o_gn}); BN's extra loss {cr.describe(d, scale=100, unit=' pts')} ({o_d}), margin 1 pt")
    return cr.combine([(o_d, {cr.AHEAD}, {cr.BEHIND, cr.LEVEL}), (o_gn, {cr.LEVEL, cr.BEHIND}, set())], line)


def _degradation(results):
    table = cr.per_seed(results, "train_loss")
    d_plain = cr.difference(table, "plain deep", "plain shallow")
    d_res = cr.difference(table, "residual shallow", "residual deep")
    o_plain, o_res = cr.compare(d_plain, 0.02), cr.compare(d_res, 0.02)
    line = (f"final training loss: plain shallow {cr.mean_of(table, 'plain shallow')}, plain deep {cr.mean_of(table, 'plain deep')}, "
            f"residual shallow {cr.mean_of(table, 'residual shallow')}, residual deep {cr.mean_of(table, 'residual deep')}; "
            f"plain deep - shallow {cr.describe(d_plain)} ({o_plain}); residual shallow - deep {cr.describe(d_res)} ({o_res}); margin 0.02")
    return cr.combine([(o_plain, {cr.AHEAD}, {cr.BEHIND, cr.LEVEL}), (o_res, {cr.AHEAD, cr.LEVEL}, {cr.BEHIND})], line)


def _generalisation(title, arms, criterion, *, epochs=12, optimizer="adam", learning_rate=1e-3, **claim):
    return Claim(
        title=title, kind="training", criterion=criterion,
        experiment=Experiment(models=arms, optimizer=optimizer, quick=replace(QUICK, learning_rate=learning_rate),
                              full=Size(epochs=epochs, batch_size=32, input_size=GAP_SIZE, learning_rate=learning_rate)),
        **claim,
    )


NOTES_001, NOTES_002, NOTES_003, NOTES_000 = (
    "001_e72bc08bfc9da13a.txt", "002_6fe7c5b1c8112f46.txt", "003_302cdba143b0b4da.txt", "000_00aa0af8858eedcd.txt")

GAP_SOURCE = dict(  # the gap-overfitting and gap-params claims' one statement
    source="Global average pooling replaces the fully connected layers --> each feature map gives a single output value --> "
           "the problems of overfitting and of too many parameters are avoided.",
    source_original="用全域平均池化代替全連接層-->每個特徵圖只有1個輸出值-->可以避免過擬合、過多參數的問題",
)

TRAINING_CLAIMS = (
    Claim(
        id="relu-vs-tanh", title="ReLU trains faster than tanh and sigmoid", kind="training", seed_file=NOTES_001,
        source="Compared with sigmoid, tanh and other activation functions, ReLU has the advantages of converging faster, "
               "training better and needing no complex computation.",
        source_original="ReLu相較於Sigmiod、tanh等激活函數有著收斂速度較快、訓練效能更好、無需複雜計算的優勢",
        measured="LeNet-5 (registry lenet5, activation=relu/tanh/sigmoid), momentum SGD at 0.01: the training loss of each epoch.",
        criterion_text="holds if ReLU's training loss averaged over the epochs is lower than tanh's and than sigmoid's by more than "
                       "0.02 on average and in every seed; does not hold if either is level (all seeds within 0.02) or ahead of ReLU; "
                       "otherwise inconclusive.",
        criterion=_relu_faster,
        experiment=Experiment(
            models=tuple(Model(a, "registry:lenet5", {"activation": a}) for a in ("relu", "tanh", "sigmoid")),
            optimizer="sgd", quick=replace(QUICK_LENET, learning_rate=0.01), full=Size(epochs=10, batch_size=32, input_size=32, learning_rate=0.01), metric="train_loss"),
    ),
    Claim(
        id="relu-deep-stack", title="ReLU keeps the gradients of a deep stack from vanishing", kind="training", seed_file=NOTES_001,
        source="Replacing LeNet-5's sigmoid with ReLU avoids the vanishing gradients caused by a network that is too deep or gradients that are too small.",
        source_original="將 LeNet5使用的 Sigmoid改為ReLU，可以避免因為神經網路層數過深或是梯度過小，而導致梯度消失(Vanishing gradient)的問題",
        measured="A plain 12-convolution stack (4 stages of 3, no normalization, GAP head), ReLU vs sigmoid, Adam 1e-3: the final training loss.",
        criterion_text="holds if the ReLU stack's final training loss is below the sigmoid stack's by more than 0.05 on average and in every "
                       "seed; does not hold if it is level or above; otherwise inconclusive.",
        criterion=_relu_deep,
        experiment=Experiment(
            models=tuple(Model(a, "stack", {"widths": (16, 16, 32, 32), "convs": 3, "act": a, "head": "gap"}) for a in ("relu", "sigmoid")),
            quick=QUICK, full=Size(epochs=12, batch_size=32, input_size=16), metric="train_loss"),
    ),
    _generalisation(
        "Dropout reduces overfitting (1-2 points of accuracy)", (_stack("dropout", fc=(256, 256), dropout=0.5), _stack("none", fc=(256, 256))),
        _better_test("dropout", "none"), id="dropout", seed_file=NOTES_002,
        source="Dropout is the most popular regularisation technique in deep learning and has proved very successful: even in "
               "state-of-the-art networks it brings a 1% to 2% gain in accuracy.",
        source_original="dropout最流行的正则化技术，它被证明非常成功，即使在顶尖水准的神经网络中也可以带来 1%到 2%的准确度提升",
        measured="A two-stage stack with two 256-unit FC layers, dropout 0.5 after each vs none, 12 epochs of Adam: the test accuracy.",
        criterion_text="holds if dropout's test accuracy is higher by more than 0.5 points on average and in every seed; does not hold "
                       "if level (every seed within 0.5 points) or lower; otherwise inconclusive. The notes' 1-2 points is quoted beside.",
    ),
    _generalisation(
        "Data augmentation improves generalisation",
        (Model("crop", "stack", {**SMALL, "fc": (128,)}, {"augment": "crop"}), Model("none", "stack", {**SMALL, "fc": (128,)})),
        _better_test("crop", "none"), id="augmentation", seed_file=NOTES_002,
        source="Data augmentation: random crops, rotations and similar operations on the input images increase the diversity of the "
               "training data and make the model adapt better to different scenes.",
        source_original="数据增强：通过对输入图像进行随机裁剪、旋转等操作来增加训练数据的多样性，提高模型对不同场景的适应性。",
        measured="The two-stage stack trained with random crops (pad 1/8, crop back) vs without: the test accuracy after 12 epochs.",
        criterion_text="holds if augmentation's test accuracy is higher by more than 0.5 points on average and in every seed; does not "
                       "hold if level or lower; otherwise inconclusive.",
    ),
    _generalisation(
        "Overlapping pooling helps", (_stack("overlapping", pool=3), _stack("non-overlapping", pool=2)),
        _better_test("overlapping", "non-overlapping"), id="overlapping-pooling", seed_file=NOTES_001,
        source="Because stride < size (2 < 3) the pooling windows overlap, so features are looked at more than once, important "
               "features are not thrown away, and overfitting is avoided as well.",
        source_original="因為 stride < size (2<3)，因此pooling 可以重疊 (overlap)，能重複檢視特徵，避免重要的特徵被捨棄掉，同時避免過擬合的問題。",
        measured="The two-stage stack with 3x3 stride-2 max pooling vs 2x2 stride-2: the test accuracy after 12 epochs.",
        criterion_text="holds if overlapping pooling's test accuracy is higher by more than 0.5 points on average and in every seed; "
                       "does not hold if level or lower; otherwise inconclusive.",
    ),
    _generalisation(
        "LRN was later found not very useful", (_stack("lrn", norm="lrn"), _stack("none")), _lrn_not_useful,
        id="lrn-not-useful", seed_file=NOTES_003,
        source="Local Response Normalization normalises all the channels of each pixel; later research found it not very useful.",
        source_original="Local Response Normalization - 對每個 pixel 的 所有 channel 做 normalization - 後來的研究發現沒啥用",
        measured="The two-stage stack with AlexNet's LRN after each convolution vs without: the test accuracy after 12 epochs.",
        criterion_text="holds if LRN does not raise the test accuracy by more than 0.5 points (level or lower in every seed); does "
                       "not hold if it raises it by more than 0.5 points on average and in every seed; otherwise inconclusive.",
    ),
    _generalisation(
        "Global average pooling instead of FC layers reduces overfitting",
        (Model("gap", "stack", {**GAP_STACK, "head": "gap"}), Model("fc", "stack", {**GAP_STACK, "head": "fc"})),
        _gap_overfits_less, id="gap-overfitting", seed_file=NOTES_000,
        **GAP_SOURCE,
        measured="A two-stage stack (32, 64 channels) with a GAP head vs a flatten-128-FC head: train minus test accuracy after 12 epochs.",
        criterion_text="holds if the GAP head's generalisation gap (final training accuracy minus test accuracy) is smaller by more "
                       "than 0.5 points on average and in every seed; does not hold if level or larger; otherwise inconclusive.",
    ),
    _generalisation(
        "Auxiliary classifiers regularise", (Model("aux", "inception", {"aux": True}), Model("no aux", "inception", {"aux": False})),
        _better_test("aux", "no aux"), id="aux-classifiers", seed_file=NOTES_003,
        source="Besides the softmax after the last layer, Inception attaches softmax outputs to some hidden layers to predict the "
               "label, to make sure the middle layers' features mean something too; this can be seen as a regularizing effect that "
               "keeps the network from overfitting.",
        source_original="除了最後一層接 softmax，Inception 還會把一些 hidden layer 也外接 softmax 來預測 label。這是為了確保 Inception 中間層的特徵也有一定的意義，可以視為 regularizing effect，避免 NN overfitting",
        measured="A two-module Inception network with an auxiliary classifier (loss weight 0.3) on the first module vs without: "
                 "the main output's test accuracy after 12 epochs.",
        criterion_text="holds if the auxiliary head raises the main output's test accuracy by more than 0.5 points on average and in "
                       "every seed; does not hold if level or lower; otherwise inconclusive.",
    ),
    _generalisation(
        "Batch norm allows larger learning rates",
        (_stack("bn", convs=2, head="gap", norm="batch"), _stack("plain", convs=2, head="gap")),
        _better_test("bn", "plain", margin=0.02), optimizer="sgd", learning_rate=0.3, id="bn-large-lr", seed_file=NOTES_002,
        source="What BN does: (1) it allows a larger learning rate.",
        source_original="BN 的作用 (1)允许较大的学习率",
        measured="A four-convolution stack with BN vs without, both at a large learning rate (momentum SGD at 0.3): the test accuracy.",
        criterion_text="holds if the BN network's test accuracy is higher by more than 2 points on average and in every seed; does "
                       "not hold if level or lower; otherwise inconclusive.",
    ),
    _generalisation(
        "Batch norm weakens the dependence on initialisation",
        (_stack("bn", convs=2, head="gap", norm="batch"), _stack("bn small init", convs=2, head="gap", norm="batch", init="small_normal"),
         _stack("plain", convs=2, head="gap"), _stack("plain small init", convs=2, head="gap", init="small_normal")),
        _bn_init, optimizer="sgd", learning_rate=0.05, id="bn-init", seed_file=NOTES_002,
        source="What BN does: (2) it weakens the strong dependence on initialisation.",
        source_original="BN 的作用 ... (2)减弱对初始化的强依赖性",
        measured="A four-convolution stack, with and without BN, initialised by Glorot or by N(0, 0.01) (the notes' randn * 0.01), "
                 "momentum SGD at 0.05: the test accuracy each initialisation gives.",
        criterion_text="holds if the accuracy lost to the N(0, 0.01) initialisation is smaller with BN than without by more than 2 "
                       "points on average and in every seed; does not hold if level or larger; otherwise inconclusive.",
    ),
    Claim(
        id="bn-small-batch", title="Batch norm suffers at small batches, group norm does not", kind="training", seed_file=NOTES_002,
        source="BN works poorly with small batch sizes: if the batch is too small, the mean and variance it computes do not "
               "represent the whole data distribution. (GN groups the channels, then normalises; its statistics are per example.)",
        source_original="BN 对较小的batch size 效果不好。... 如果 batch size 太小，则计算的均值、方差不足以代表整个数据分布。... GN 将 channel 分组，然后再做归一化。",
        measured="A four-convolution stack with BN or GN (4 groups), trained at batch 64 and at batch 2 (Adam 1e-3, 5 epochs): test accuracy.",
        criterion_text="holds if the accuracy BN loses going from batch 64 to 2 exceeds GN's loss by more than 1 point on average and "
                       "in every seed, while GN's own loss is level or negative; does not hold if BN loses no more than GN (level or "
                       "less); otherwise inconclusive.",
        criterion=_bn_small_batch,
        experiment=Experiment(
            models=tuple(Model(f"{n} batch {b}", "stack", {**SMALL, "convs": 2, "head": "gap", "norm": norm}, {"batch_size": b})
                         for n, norm in (("bn", "batch"), ("gn", "group")) for b in (64, 2)),
            quick=QUICK, full=Size(epochs=5, input_size=16)),
    ),
    Claim(
        id="plain-vs-residual", title="Plain networks degrade with depth, residual networks do not", kind="training", seed_file=NOTES_003,
        source="In theory, the deeper the network the lower its training error should be; in practice it is not, because beyond a "
               "certain depth it becomes very hard to train. (000: with the skip connections, networks of over 1000 layers train easily.)",
        source_original="理論上，深度越深的 NN，training error 應該要越低，實則不然 - 因為到達一定深度之後實務上開始變得非常難 train",
        measured="resnet20_cifar and resnet56_cifar against their plain twins (resnet20_cifar_plain, resnet56_cifar_plain), "
                 "momentum SGD at 0.05, 16 px digits: the final training loss.",
        criterion_text="holds if plain-56's final training loss exceeds plain-20's by more than 0.02 on average and in every seed "
                       "(degradation) while ResNet-56's is not above ResNet-20's by more than 0.02 (level or lower); does not hold "
                       "if the plain net does not degrade (level or lower) or the residual one does; otherwise inconclusive.",
        criterion=_degradation,
        experiment=Experiment(
            models=(Model("plain shallow", "registry:resnet20_cifar_plain"), Model("plain deep", "registry:resnet56_cifar_plain"),
                    Model("residual shallow", "registry:resnet20_cifar"), Model("residual deep", "registry:resnet56_cifar")),
            optimizer="sgd", metric="train_loss",
            quick=replace(QUICK, input_size=8, learning_rate=0.05, models=(
                Model("plain shallow", "resnet", {"widths": (8,), "blocks": 1, "shortcut": None}),
                Model("plain deep", "resnet", {"widths": (8,), "blocks": 3, "shortcut": None}),
                Model("residual shallow", "resnet", {"widths": (8,), "blocks": 1}),
                Model("residual deep", "resnet", {"widths": (8,), "blocks": 3})),
            ),
            full=Size(epochs=6, batch_size=64, input_size=16, learning_rate=0.05)),
    ),
)
