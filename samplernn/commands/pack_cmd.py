"""`samplernn pack`: a thin typer layer over samplernn.render.pack (defaults: render.pack_options)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer

from samplernn.commands.common import (
    MAX_TAKES,
    AttackTemp,
    Device,
    MinP,
    OnsetCandidates,
    Quiet,
    RenderEngine,
    Seed,
    Temperature,
    Threads,
    WeightDtype,
    check_bit_depth,
    fail,
    generation_options,
)
from samplernn.common.errors import UsageError, UserError
from samplernn.common.lists import comma_ints, comma_list, counted
from samplernn.generate.options import GenerationOptions
from samplernn.render.pack_options import MAX_REDRAWS, PackOptions

_DEFAULTS = {f.name: f.default for f in fields(PackOptions)}
_BATCH = GenerationOptions.batch_size


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("pack")(pack_command)


def pack_command(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint of a drum model (trained on a drum kit).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Pack folder (a pack already there is replaced).")],
    pieces: Annotated[
        str | None, typer.Option(help="Pieces, comma-separated names or GM keys: kick,snare,hat,tom,38 "
                                 "[default: every piece of the kit].")
    ] = None,
    takes: Annotated[
        int, typer.Option(min=1, max=MAX_TAKES, help="Takes per piece and velocity.")
    ] = _DEFAULTS["takes"],
    velocities: Annotated[str | None, typer.Option(
        help="Velocities, comma-separated (a note says which lie outside a piece's layers: only when given) "
             f"[default: {','.join(map(str, _DEFAULTS['velocities']))}].")] = None,
    best: Annotated[
        int | None, typer.Option(min=1, help="Keep the K best takes of each piece and velocity (K <= takes).")
    ] = None,
    redraws: Annotated[
        int | None, typer.Option(min=0, max=MAX_REDRAWS, help="With --best: rounds of --takes new takes for "
                                 "a piece and velocity with fewer than K takes like their piece, new and "
                                 f"clean (0 = none, also without --best) [default: {_DEFAULTS['redraws']}].")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option(help="The kit's prepared dataset to measure likeness and novelty against "
                                  "[default: the one the model was trained on, when still there].")
    ] = None,
    bit_depth: Annotated[int, typer.Option(help="16, 24 or 8 (unsigned).")] = _DEFAULTS["bit_depth"],
    temperature: Temperature = None,
    attack_temperature: AttackTemp = None,
    min_p: MinP = None,
    onset_candidates: OnsetCandidates = _DEFAULTS["onset_candidates"],
    seed: Seed = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Takes generated together.")] = _BATCH,
    engine: RenderEngine = None,
    device: Device = "auto",
    weight_dtype: WeightDtype = GenerationOptions.weight_dtype,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """A sample pack of new drum one-shots: one WAV per take (named by piece, velocity and take),
    index.json with each take's measures (attack, decay, loudness, likeness, novelty) and
    sheet.png of their spectrograms."""
    from samplernn.common.device import resolve_device
    from samplernn.data.dataset import refuse_writing_in_a_dataset
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.render.pack import make_pack

    try:
        _check_folder_name(out)
        refuse_writing_in_a_dataset([out])
        if best is None and redraws:  # 0 asks for no redraw: nothing to refuse
            raise UsageError(f"--redraws {redraws}: takes are drawn again only for --best K (the K best "
                             "kept); give --best")
        piece_list = None if pieces is None else comma_list(pieces, "--pieces", "kick,snare,38")
        velocity_list = _DEFAULTS["velocities"] if velocities is None else comma_ints(
            velocities, "--velocities", "40,80,120", minimum=1, maximum=127)
        _check_best(best, takes)
        check_bit_depth(bit_depth)
        fields_ = {"temperature": temperature, "attack_temperature": attack_temperature, "min_p": min_p,
                   "seed": seed, "batch_size": batch_size, "weight_dtype": weight_dtype, "threads": threads}
        ckpt = load_checkpoint(checkpoint, resolve_device(device), needs_notes="pack")
        with generation_options(quiet, **fields_) as gen:
            try:
                options = PackOptions(pieces=piece_list, velocities=velocity_list,
                                      takes=takes, best=best, bit_depth=bit_depth,
                                      redraws=_DEFAULTS["redraws"] if redraws is None else redraws,
                                      generation=gen,
                                      onset_candidates=onset_candidates,
                                      **({"engine": engine} if engine else {}))  # fmt: skip
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            report = make_pack(ckpt, out, options, dataset, source=str(checkpoint))
    except UserError as exc:
        fail(exc)
    _summary(report.index, report.out, report.reference)
    if velocities is not None:  # the defaults were chosen by no one: no note on them
        _outside_layers(ckpt.stats, report.index)


#: Names a pack folder should not have: a file's, which `-o pack.zip` (as serve's page downloads a
#: pack) or `-o kick.wav` would give a folder, to the confusion of every tool that opens it.
_FILE_SUFFIXES = (".zip", ".wav")


def _check_folder_name(out: Path) -> None:
    """UsageError for a new pack folder named like a zip or a WAV file (a pack is a folder)."""
    if out.suffix.lower() in _FILE_SUFFIXES and not out.is_dir():
        kind = out.suffix.lower()[1:]
        raise UsageError(f"--out {out}: a pack is a folder of WAV files, not a {kind} file; give a folder "
                         "name (the serve page downloads a pack as a zip)")


def _check_best(best: int | None, takes: int) -> None:
    """UsageError for a --best K above --takes (the parser bounds each on its own, not the two)."""
    if best is not None and best > takes:
        raise UsageError(f"--best {best}: keeps K of the --takes {takes} takes of each piece and velocity, "
                         f"so at most {takes}; give --takes {best} or more, or a smaller --best")


def _summary(index: dict[str, Any], out: Path, reference: str) -> None:
    """One line per piece: takes, checks passed, loudness per velocity."""
    takes = index["takes"]
    temperature, attack = index["settings"]["temperature"], index["settings"].get("attack_temperature")
    played = f"{1.0 if temperature is None else temperature:g}" + (f" (attack {attack:g})" if attack else "")
    min_p, pieces = index["settings"].get("min_p"), index["settings"].get("piece_min_p") or {}
    played += f", min-p {min_p:g}" if min_p else ""
    cut = sorted(f"{k}: {p:g}" for k, p in pieces.items() if p and str(k) in index["pieces"])
    played += f", min-p per piece ({', '.join(cut)})" if cut else ""
    typer.echo(f"wrote {counted(len(takes), 'take')} to {out}/ (index.json, sheet.png) at temperature "
               f"{played}; measured against {reference}")
    for key, piece in index["pieces"].items():
        mine = [t for t in takes if str(t["key"]) == key]
        checks = sorted({c for t in mine for c in t["checks"]})
        passed = ", ".join(_passed(c, [t["checks"].get(c) for t in mine]) for c in checks)
        loud = " / ".join(f"{x:.0f}" for x in piece["loudness_db"].values())
        rising = {True: "rises", False: "does not rise", None: "one velocity"}[piece["rising"]]
        typer.echo(f"  {key} {piece['name']}: {passed}; loudness {loud} dBFS ({rising})")
    _redrawn(index)


def _redrawn(index: dict[str, Any]) -> None:
    """One line naming the pieces and velocities drawn again (more than --takes), if any, each with
    how many takes it drew in all ('bass drum v80 (24 drawn in all)'; the bare count read as a
    mystery number)."""
    per = index["settings"]["takes"]
    more = [f"{p['name']} v{v} ({n} drawn in all)" for p in index["pieces"].values()
            for v, n in p.get("drawn", {}).items() if n > per]
    if more:
        best = index["settings"]["best"]
        typer.echo(f"drawn again, short of {best} takes like their piece, new and clean after {per}: "
                   f"{', '.join(more)}")


def _outside_layers(stats: Any, index: dict[str, Any]) -> None:
    """A note for each velocity asked that lies outside the kit's layers of some of the pieces."""
    from samplernn.render.drums import piece_name, velocity_outside_layers

    keys = [int(k) for k in index["pieces"]]
    for v in index["settings"]["velocities"]:
        said = [(k, velocity_outside_layers(stats, k, v)) for k in keys]
        outside = [(k, line) for k, line in said if line]
        if len(outside) == 1:
            typer.secho(f"note: {outside[0][1]}", fg=typer.colors.YELLOW, err=True)
        elif outside:
            names = ", ".join(piece_name(k) for k, _ in outside)
            typer.secho(f"note: velocity {v} lies outside the kit's layers of {len(outside)} pieces "
                        f"({names}): above its loudest layer a piece plays at that layer's level, below "
                        "its softest that layer made quieter in proportion", fg=typer.colors.YELLOW, err=True)


def _passed(check: str, results: list[bool | None]) -> str:
    """'like 5/8': passed of judged; a check judged for none of the takes (None: 'distinct' with one
    take of a piece and velocity) says so instead of counting as failed."""
    judged = [r for r in results if r is not None]
    return f"{check} {sum(judged)}/{len(judged)}" if judged else f"{check} –"
