"""The Inception networks' layer tables, from their papers: GoogLeNet (Table 1), BN-Inception (Figure 5)
and Inception v3 (Table 1, Figures 5-7 and 10). Data only; :mod:`keras_classics.models.inception`
builds the networks from them with :func:`keras_classics.layers.inception.inception_module`."""

from __future__ import annotations

from keras_classics.layers.inception import Conv, Split

# GoogLeNet, Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj; "M" a 3x3/2 max pooling
# (2x2/2 before 5a, as torchvision). Auxiliary classifiers after 4a and 4d.
GOOGLENET_TABLE = (
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    "M",
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    "M",
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
)
GOOGLENET_AUX_AFTER = {"4a": "aux1", "4d": "aux2"}

# BN-Inception, Figure 5: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, pool proj
# (0 = pass through), stride. A stride-2 row is a grid-reduction module.
INCEPTION_V2_TABLE = (
    ("3a", 64, 64, 64, 64, 96, "avg", 32, 1),
    ("3b", 64, 64, 96, 64, 96, "avg", 64, 1),
    ("3c", 0, 128, 160, 64, 96, "max", 0, 2),
    ("4a", 224, 64, 96, 96, 128, "avg", 128, 1),
    ("4b", 192, 96, 128, 96, 128, "avg", 128, 1),
    ("4c", 160, 128, 160, 128, 160, "avg", 128, 1),
    ("4d", 96, 128, 192, 160, 192, "avg", 128, 1),
    ("4e", 0, 128, 192, 192, 256, "max", 0, 2),
    ("5a", 352, 192, 320, 160, 224, "avg", 128, 1),
    ("5b", 352, 192, 320, 192, 224, "max", 128, 1),
)


def _v3_35x35(pool_proj):  # Figure 5 of the v3 paper, as keras.applications builds it (a 5x5 tower kept)
    towers = ((Conv(64, 1),), (Conv(48, 1), Conv(64, 5)), (Conv(64, 1), Conv(96, 3), Conv(96, 3)))
    return dict(towers=towers, pool="avg", pool_proj=pool_proj)


def _v3_17x17(width):  # Figure 6: n x n factorised into 1 x n and n x 1, n = 7
    towers = (
        (Conv(192, 1),),
        (Conv(width, 1), Conv(width, (1, 7)), Conv(192, (7, 1))),
        (Conv(width, 1), Conv(width, (7, 1)), Conv(width, (1, 7)), Conv(width, (7, 1)), Conv(192, (1, 7))),
    )
    return dict(towers=towers, pool="avg", pool_proj=192)


def _v3_8x8():  # Figure 7: the expanded filter bank
    bank = Split((Conv(384, (1, 3)), Conv(384, (3, 1))))
    towers = ((Conv(320, 1),), (Conv(384, 1), bank), (Conv(448, 1), Conv(384, 3), bank))
    return dict(towers=towers, pool="avg", pool_proj=192)


# Inception v3 (Table 1 of the paper; module widths as keras.applications and torchvision).
# Rows with strides=2 are the grid-reduction modules (Figure 10).
INCEPTION_V3_TABLE = {
    "mixed0": _v3_35x35(32),
    "mixed1": _v3_35x35(64),
    "mixed2": _v3_35x35(64),
    "mixed3": dict(towers=((Conv(384, 3),), (Conv(64, 1), Conv(96, 3), Conv(96, 3))), pool="max", strides=2),
    "mixed4": _v3_17x17(128),
    "mixed5": _v3_17x17(160),
    "mixed6": _v3_17x17(160),
    "mixed7": _v3_17x17(192),
    "mixed8": dict(
        towers=((Conv(192, 1), Conv(320, 3)), (Conv(192, 1), Conv(192, (1, 7)), Conv(192, (7, 1)), Conv(192, 3))),
        pool="max",
        strides=2,
    ),
    "mixed9": _v3_8x8(),
    "mixed10": _v3_8x8(),
}
V3_AUX_AFTER = "mixed7"
