"""The HiGHS options of a solve: m2m's own and those a user adds with ``--highs-option``.

What m2m sets in HiGHS for a solve (:class:`SolveOptions`, :func:`set_options`), the further
HiGHS options a user may add (``m2m solve --highs-option``, checked by :func:`highs_option`),
and the one way to make a HiGHS instance (:func:`new_highs`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import highspy


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float | None = None  # seconds
    mip_gap: float | None = None  # relative
    threads: int | None = None
    algorithm: str = "auto"  # auto | simplex | ipx | pdlp
    iis: bool = False
    log: bool = False
    duals: bool = True
    #: Further HiGHS options for the main solve, ``(name, value)`` pairs checked by
    #: :func:`highs_option` (``m2m solve --highs-option NAME=VALUE``).
    highs: tuple[tuple[str, bool | int | float | str], ...] = ()

    def as_dict(self) -> dict:
        """The options by name; ``highs`` as a mapping, and only when given (a record of a solve
        without them stays as it was)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if d["highs"]:
            d["highs"] = dict(d["highs"])
        else:
            del d["highs"]
        return d


def new_highs() -> highspy.Highs:
    """A HiGHS instance; the banner HiGHS prints on its first construction is kept off stdout."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    _BANNER_SHOWN = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_BANNER_SHOWN = False

#: HiGHS options m2m sets from its own command-line options; ``--highs-option`` refuses them
#: and names the option to use instead.
OWN_OPTIONS = {"time_limit": "--time-limit", "mip_rel_gap": "--mip-gap", "threads": "--threads",
               "solver": "--algorithm", "output_flag": "--log", "log_to_console": "--log"}
_TRUE, _FALSE = {"true", "on", "1", "yes"}, {"false", "off", "0", "no"}


def highs_option(spec: str) -> tuple[str, bool | int | float | str]:
    """``NAME=VALUE`` as a HiGHS option and a value of its type, checked by HiGHS itself (name,
    type and range); ``ValueError`` says in one line why not.  Options m2m sets itself
    (:data:`OWN_OPTIONS`) and options that make HiGHS write files are refused: m2m writes only
    its own results and ``--write-model``."""
    name, sep, text = spec.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name or not text:
        raise ValueError(f"{spec!r}: expected NAME=VALUE, e.g. mip_heuristic_effort=0.3")
    if name in OWN_OPTIONS:
        raise ValueError(f"{name}: m2m sets this HiGHS option itself; use {OWN_OPTIONS[name]}")
    if "file" in name:
        raise ValueError(f"{name}: m2m does not let HiGHS write files; results go to --out, the model to --write-model")
    h = new_highs()
    h.setOptionValue("output_flag", False)
    status, kind = h.getOptionType(name)
    if status != highspy.HighsStatus.kOk:
        raise ValueError(f"{name}: HiGHS has no such option (see https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
    value: bool | int | float | str
    try:
        if kind == highspy.HighsOptionType.kBool:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError
            value = text.lower() in _TRUE
        elif kind == highspy.HighsOptionType.kInt:
            value = int(text)
        elif kind == highspy.HighsOptionType.kDouble:
            value = float(text)
        else:
            value = text
    except ValueError:
        kinds = {highspy.HighsOptionType.kBool: "true or false", highspy.HighsOptionType.kInt: "an integer",
                 highspy.HighsOptionType.kDouble: "a number"}
        raise ValueError(f"{name}={text}: HiGHS expects {kinds[kind]}") from None
    if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
        raise ValueError(f"{name}={text}: outside what HiGHS accepts for this option "
                         f"(default {h.getOptionValue(name)[1]!r}; see its option definitions)")
    return name, value


def set_options(h: highspy.Highs, opts: SolveOptions, algorithm: str) -> None:
    """Put ``opts`` into ``h`` for a solve by ``algorithm`` (HiGHS's ``solver`` option), seeded 0,
    with ``opts.highs`` last."""
    h.setOptionValue("output_flag", bool(opts.log))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("solver", algorithm)
    if opts.time_limit is not None:
        h.setOptionValue("time_limit", float(opts.time_limit))
    if opts.mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(opts.mip_gap))
    if opts.threads is not None:
        # HiGHS keeps one thread pool per process; a different thread count needs a new one.
        highspy.Highs.resetGlobalScheduler(True)
        h.setOptionValue("threads", int(opts.threads))
    for name, value in opts.highs:
        h.setOptionValue(name, value)
