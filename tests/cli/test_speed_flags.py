"""The decompose commands' speed flags: every setting of DecomposeOptions.SPEED_SETTINGS has a flag with its limits,
the flags reach the options, a value of the wrong kind is a one-line usage error (exit 2) and one out of range is
refused by the options themselves with the declared range (the same sentence as the GUI's)."""

from __future__ import annotations

import pytest

from seethrough.cli import build_parser
from seethrough.cli.decompose_commands import options_from_args
from seethrough.core.decompose.options import SPEED_SETTINGS


def _parse(*flags: str):
    return build_parser().parse_args(["decompose", "in.png", "-o", "out.psd", *flags])


def test_defaults_are_auto():
    options = options_from_args(_parse())
    for name in SPEED_SETTINGS:
        assert getattr(options, name) in ("auto", 0), name


def test_every_speed_flag_reaches_the_options():
    options = options_from_args(_parse("--compile", "regional", "--channels-last", "on", "--cuda-graphs", "off",
                                       "--decoder-batch", "4", "--decoder-tile", "512", "--skip-empty", "off",
                                       "--quantize", "fp8"))
    assert (options.compile, options.channels_last, options.cuda_graphs, options.decoder_batch, options.decoder_tile,
            options.skip_empty, options.quantize) == ("regional", "on", "off", 4, 512, "off", "fp8")


@pytest.mark.parametrize("flags", [("--compile", "max"), ("--skip-empty", "yes"), ("--decoder-batch", "x")])
def test_a_bad_value_is_a_usage_error(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parse(*flags)
    assert exit_info.value.code == 2
    assert flags[0] in capsys.readouterr().err


def test_a_number_out_of_range_is_refused_with_the_declared_range():
    from seethrough.core.decompose.options import DecomposeOptions
    from seethrough.core.errors import BadInput
    from seethrough.core.operations.params import param_named

    with pytest.raises(BadInput) as refused:
        options_from_args(_parse("--decoder-batch", "99"))
    assert str(refused.value).startswith("decoder_batch: ")
    assert param_named(DecomposeOptions, "decoder_batch").range_text() in str(refused.value)


def test_redecompose_has_the_same_flags():
    args = build_parser().parse_args(["redecompose", "doc.psd", "--box", "0,0,8,8", "-o", "out.psd",
                                      "--decoder-batch", "2"])
    assert options_from_args(args).decoder_batch == 2
