"""The command line's core: subcommand discovery, `list`, and one-line errors for bad input."""

from keras_classics.cli import build_parser, main


def test_list_names_only(capsys):
    assert main(["list", "vgg1?", "--names-only"]) == 0
    assert capsys.readouterr().out.split() == ["vgg11", "vgg13", "vgg16", "vgg19"]


def test_list_with_a_pattern_matching_nothing_is_a_one_line_error(capsys):
    assert main(["list", "resnet9000*"]) == 2
    err = capsys.readouterr().err
    assert "`pattern`: received 'resnet9000*', which matches no model" in err and "Traceback" not in err


def test_list_measures_params(capsys):
    assert main(["list", "lenet5*"]) == 0
    out = capsys.readouterr().out
    assert "61706" in out.replace(",", "") and "60840" in out.replace(",", "")


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "list" in capsys.readouterr().out
    assert "list" in build_parser().format_help()
