"""Evaluate chooses the one-shot measures for a drum model: takes per piece and velocity layer
measured against the kit, each share next to the real samples' ceiling, the pitched bars set
aside, the bars at min(90 %, real); the answers of known takes (copies, other pieces)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from support.drum_kit import (
    PIECES,
    SR,
    drum_checkpoint,
    drum_stats,
    one_shot,
    velocity_amp,
    write_drum_dataset,
)

from samplernn.data.dataset import load_dataset
from samplernn.evaluate.checkpoint import evaluate_checkpoint, write_spectrograms
from samplernn.evaluate.oneshot import BAR_SHARE, CHECKS, OneShotEval, eval_layers, oneshot_bars
from samplernn.evaluate.options import EvaluateOptions
from samplernn.evaluate.view import render_tables
from samplernn.evaluate.view_likeness import confusion_shares, plot_likeness
from samplernn.measures import oneshot
from samplernn.render.pack import Take, judge

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def kit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_drum_dataset(tmp_path_factory.mktemp("kit") / "data")


@pytest.fixture(scope="module")
def shots(kit_dir: Path) -> OneShotEval:
    return OneShotEval.of(load_dataset(kit_dir))


def _take(key: int, velocity: int, x: np.ndarray, number: int = 1) -> Take:
    return Take(key, velocity, number, x, oneshot.measure(x, SR, key, velocity))


def test_layers_are_each_piece_s_lowest_middle_and_highest(kit_dir: Path) -> None:
    assert eval_layers(load_dataset(kit_dir).notes) == [(k, v) for k in PIECES for v in (40, 100)]
    kick = load_dataset(kit_dir).notes[0]
    many = [dataclasses.replace(kick, velocity=v) for v in (10, 30, 50, 70, 90)]
    assert eval_layers(many) == [(36, 10), (36, 50), (36, 90)]
    # --max-notes: at most that many layers, every piece's softest first, then their loudest
    notes = load_dataset(kit_dir).notes
    assert eval_layers(notes, 3) == [(36, 40), (38, 40), (42, 40)]
    assert eval_layers(notes, 2) == [(36, 40), (42, 40)]  # evenly spaced pieces
    assert eval_layers(notes, 4) == [(36, 40), (36, 100), (38, 40), (42, 40)]
    assert eval_layers(notes, 99) == eval_layers(notes)
    assert eval_layers(many, 2) == [(36, 10), (36, 90)]


def test_known_takes_give_known_shares(shots: OneShotEval) -> None:
    """Hits of the right piece: like; those with fresh noise (snare, hat): novel and distinct; the
    kick, a noiseless tone, is a copy of its training hits: neither; a hiss played as the kick:
    not like."""
    fresh = [_take(k, v, one_shot(kind, decay, 0.1 + 0.7 * v / 127, seed=1000 + 10 * k + i), i + 1)
             for k, (kind, decay) in PIECES.items() for v in (40, 100) for i in range(2)]
    judge(fresh, shots.ref)
    block = shots.block(fresh)
    gen, per = block["generated"], block["per_piece"]
    assert gen["like"] == gen["attack"] == gen["clean"] == gen["decay"] == gen["dynamics"] == 1.0
    assert [per[str(k)]["generated"]["novel"] for k in PIECES] == [0.0, 1.0, 1.0]
    assert [per[str(k)]["generated"]["distinct"] for k in PIECES] == [0.0, 1.0, 1.0]
    assert per["36"]["real"]["decay_ms"] == pytest.approx(120.0, abs=15.0)
    assert per["36"]["real"]["spread_db"] > 1.0  # the kit's kicks are copies: the other pieces' spread
    copy = [_take(36, 40, one_shot("tone", 0.12, 0.1 + 0.7 * 40 / 127, seed=1))]  # the dataset's first hit
    judge(copy, shots.ref)
    assert copy[0].checks["novel"] is False and copy[0].values["nearest_train_db"] < 0.5
    wrong = [_take(36, 40, one_shot("hiss", 0.03, 0.3, seed=5))]
    judge(wrong, shots.ref)
    assert wrong[0].checks["like"] is False and wrong[0].values["nearest_piece"] == 42
    # the second judge (MFCC) beside the likeness: the right pieces like, the hiss as a kick not,
    # the real samples' leave-one-out as its ceiling; it is no bar
    assert gen["like_mfcc"] == 1.0 and shots.block(wrong)["generated"]["like_mfcc"] == 0.0
    assert block["real"]["like_mfcc"] == 1.0 and "like_mfcc" in block["definitions"]
    assert "likeness, second judge (MFCC)" not in {b["name"] for b in oneshot_bars(block)}


def test_the_takes_decay_against_their_level_column(shots: OneShotEval, kit_dir: Path) -> None:
    """The level column's decay per layer comes from the kit's envelopes (a kick ~120 ms); takes
    made like the kit's hits decay as told, a kick ringing 0.6 s does not, and the envelopes alone
    lie within the tolerance of each piece's median."""
    told = shots.column_decays(drum_stats(kit_dir))
    assert set(told) == set(shots.layers)
    assert told[(36, 100)] == pytest.approx(120.0, abs=25.0)
    like_kit = [_take(k, v, one_shot(kind, decay, velocity_amp(v), seed=7))
                for k, (kind, decay) in PIECES.items() for v in (40, 100)]
    ringing = [_take(36, 100, one_shot("tone", 0.6, velocity_amp(100), seed=7))]
    for takes, want in ((like_kit, 1.0), (ringing, 0.0)):
        judge(takes, shots.ref)
        block = shots.block(takes, told)["column_decay"]
        assert block["generated"] == want
        assert block["envelopes"] == 1.0 and block["per_layer_ms"]["36/100"] == told[(36, 100)]
    assert shots.block(like_kit)["column_decay"] is None


def test_loudness_error_and_the_pieces_a_take_is_taken_for(shots: OneShotEval) -> None:
    """Takes at the kit's own amplitude lie within a dB of its layers; the soft takes played 4 times
    too loud come out 12 dB over; a hiss played as the kick is taken for the hat."""
    def takes(gain: float) -> list[Take]:
        out = [_take(k, v, one_shot(kind, decay, velocity_amp(v) * (gain if v == 40 else 1.0),
                                    seed=2000 + 10 * k + i), i + 1)
               for k, (kind, decay) in PIECES.items() for v in (40, 100) for i in range(2)]
        judge(out, shots.ref)
        return out

    fair = shots.block(takes(1.0))
    assert abs(fair["floor_excess_db"]) < 1.0  # takes made as the kit's hits are
    kicks = [one_shot("tone", 0.12, velocity_amp(v), seed=i) for v in (40, 100) for i in range(2)]
    noisy = [_take(36, v, x + 0.3 * one_shot("noise", 0.12, velocity_amp(v), seed=9 + i), i + 1)
             for (v, i), x in zip([(v, i) for v in (40, 100) for i in range(2)], kicks, strict=True)]
    judge(noisy, shots.ref)
    assert shots.block(noisy)["floor_excess_db"] > 2.5  # white noise ~18 dB under a kick gone in 0.3 s
    level = fair["loudness_error_db"]
    assert level["median_abs"] < 1.0 and abs(level["softest"]) < 1.0 and abs(level["loudest"]) < 1.0
    loud = shots.block(takes(4.0))["loudness_error_db"]
    assert loud["softest"] == pytest.approx(12.04, abs=1.0) and abs(loud["loudest"]) < 1.0
    wrong = [_take(36, 40, one_shot("hiss", 0.03, 0.3, seed=5), i + 1) for i in range(2)]
    judge(wrong, shots.ref)
    block = shots.block(wrong)
    assert block["per_piece"]["36"]["generated"]["taken_for"] == {"42": 2}
    # the matrix behind likeness.png: the two hisses asked as kicks judged hats; every real
    # sample of the kit judged its own piece (three distinct synthetic pieces)
    assert block["confusion"]["generated"] == [[36, 42, 2]]
    real = block["confusion"]["real"]
    assert all(a == j for a, j, _ in real) and sorted(a for a, _, _ in real) == sorted(PIECES)
    assert sum(n for _, _, n in real) == len(shots.sounds)
    shares = confusion_shares([[36, 42, 2], [36, 36, 2], [42, 42, 1], [99, 36, 5]], [36, 38, 42])
    np.testing.assert_allclose(shares, [[0.5, 0, 0.5], [0, 0, 0], [0, 0, 1]])  # 99: no such piece


def test_the_real_ceiling_and_the_bars(shots: OneShotEval) -> None:
    real = shots.real_shares()
    assert real["like"] == 1.0 and real["attack"] == 1.0 and real["clean"] == 1.0
    assert shots.real_shares(pooled=True)["like"] == 1.0
    block = {"generated": {"like": 0.95, "novel": 0.5, "distinct": 1.0, "attack": 0.8, "decay": 0.6,
                           "clean": 1.0, "dynamics": None},
             "real": {"like": 1.0, "novel": 0.4, "distinct": 1.0, "attack": 1.0, "decay": 0.5, "clean": 1.0,
                      "dynamics": 1.0}}
    bars = {b["name"]: b for b in oneshot_bars(block)}
    assert bars["likeness"]["passed"] and bars["likeness"]["target"].startswith(f">= {BAR_SHARE:.0%}")
    assert bars["novelty"]["passed"]  # 50 % against a real ceiling of 40 %
    assert bars["attack"]["passed"] is False and bars["decay time"]["passed"]
    assert bars["loudness rises with velocity"]["passed"] is None


def test_a_bar_failed_by_less_than_a_printed_percent_shows_its_tenths() -> None:
    block = {"generated": {"like": 0.95, "novel": 1.0, "distinct": 1.0, "attack": 0.9, "decay": 0.9,
                           "clean": 0.9808, "dynamics": 1.0},
             "real": {"like": 1.0, "novel": 1.0, "distinct": 1.0, "attack": 1.0, "decay": 1.0,
                      "clean": 0.9846, "dynamics": 1.0}}
    bars = {b["name"]: b for b in oneshot_bars(block)}
    clean = bars["no clipping or stuck output"]
    assert clean["passed"] is False and clean["target"] == ">= 98.5% (real 98.5%)"
    assert bars["likeness"]["target"] == ">= 90% (real 100%)"  # passing bars keep whole percents


def test_the_ceiling_weighs_each_evaluated_layer_once_as_the_takes_do(shots: OneShotEval) -> None:
    """A piece whose one layer is late to peak (a crash that blooms) counts as one layer of the
    ceiling, as its takes count among the takes, however many samples the other layers hold;
    a sample of a layer evaluate does not play is out of it."""
    def sound(key: int, velocity: int, attack_ms: float) -> oneshot.Sound:
        return oneshot.Sound(key, velocity, attack_ms, 100.0, -12.0, False, np.full(80, -60.0))

    sounds = [sound(36, 40, 2.0)] * 3 + [sound(57, 100, 200.0), sound(36, 70, 30.0)]
    layers = [(36, 40), (57, 100)]
    checks = {c: [None] * 5 for c in shots.checks}
    checks["attack"] = [oneshot.attack_ok(s) for s in sounds]
    kit = OneShotEval(sounds, ["train"] * 5, shots.ref, layers, checks)
    assert kit.real_shares(pooled=True)["attack"] == pytest.approx(3 / 5)
    assert kit.real_shares()["attack"] == pytest.approx(0.5) and kit.real_shares()["like"] is None
    per = kit.per_piece([], {}, {})
    assert per["57"]["real"]["attack"] == 0.0 and per["36"]["real"]["attack"] == 1.0


@pytest.mark.filterwarnings("ignore:With fmin")  # the pitched measures still run; a low kick is below pYIN
def test_evaluate_chooses_one_shot_measures_for_a_drum_model(kit_dir: Path, tmp_path: Path) -> None:
    ckpt = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir))
    result = evaluate_checkpoint(ckpt, kit_dir, EvaluateOptions(max_notes=2, batch_size=64))
    assert result.report["oneshot"]["n_takes"] == 4 * 2  # --max-notes: at most 2 layers
    result = evaluate_checkpoint(ckpt, kit_dir, EvaluateOptions(max_notes=6, batch_size=64))
    report = result.report
    block = report["oneshot"]
    assert block["n_takes"] == 4 * len(PIECES) * 2 and set(block["generated"]) == set(block["real"])
    assert set(block["real_pooled"]) == {*CHECKS, "like_mfcc", "in_tune"}  # the second judge's ceiling too
    # support.drum_kit's kick is a 70 Hz tone, its other pieces noise: one tonal piece, its real
    # samples all ring there, and the tiny model's takes are judged against it
    assert list(block["tones"]) == ["36"] and block["tones"]["36"] == pytest.approx(70.0, abs=0.5)
    assert block["real"]["in_tune"] == 1.0 and block["generated"]["in_tune"] is not None
    kick = block["per_piece"]["36"]
    assert kick["real"]["peak_hz"] == pytest.approx(70.0, abs=1.0) and kick["real"]["ringing"] > 0.5
    assert kick["generated"]["in_tune"] is not None
    assert block["per_piece"]["38"]["generated"]["in_tune"] is None  # the snare does not ring
    assert block["onset_candidates"] == 8  # every take's hit searched by level, as pack and synth do
    bars = {b["name"]: b for b in report["bars"]}
    assert bars["pitch accuracy"]["passed"] is None and bars["timbre distance"]["target"] == "not for drums"
    assert {"likeness", "novelty", "attack", "decay time", "no clipping or stuck output"} <= set(bars)
    assert bars["clipping"]["passed"] is None  # judged once, on the takes ("no clipping or stuck output")
    assert report["settings"]["missing_pitches"] is False and report["settings"]["velocity_sweep"] is False
    out = io.StringIO()
    render_tables(report, Console(file=out, width=120))
    assert "drum one-shots: 24 takes" in out.getvalue()
    assert "likeness, second judge (MFCC)" in out.getvalue() and "no bar" in out.getvalue()
    assert "rings in tune (1 tonal piece)" in out.getvalue()
    assert "best of up to 8 starts by level" in " ".join(out.getvalue().split())  # the title may wrap
    assert block["searched_by"] == "level"  # a checkpoint without its kit's piece centroids
    shown = out.getvalue()
    assert "NLL of the real notes, bits/sample" in shown and "clipped samples" in shown
    assert "decay as its level column tells" in shown and block["column_decay"]["envelopes"] == 1.0
    assert "pitch within" not in shown and "per pitch" not in shown and "noise floor" not in shown
    pictures = write_spectrograms(result, tmp_path / "plots")  # --plots: a drum model's likeness too
    assert [p.name for p in pictures] == ["spectrograms.png", "likeness.png"]
    assert all(p.stat().st_size > 1000 for p in pictures)
    with pytest.raises(ValueError, match="no one-shot likeness"):
        plot_likeness({"oneshot": None}, tmp_path / "pitched.png")
    assert not (tmp_path / "pitched.png").exists()


@pytest.mark.filterwarnings("ignore:With fmin")
def test_a_kit_checkpoint_with_its_pieces_searches_by_likeness_too(kit_dir: Path, tmp_path: Path) -> None:
    from samplernn.data.dataset import load_dataset
    from samplernn.train.recipe import playing_hints

    hints = playing_hints(load_dataset(kit_dir))
    ckpt = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir), generation=hints)
    report = evaluate_checkpoint(ckpt, kit_dir, EvaluateOptions(max_notes=2, batch_size=64)).report
    assert report["oneshot"]["searched_by"] == "level and likeness"
    out = io.StringIO()
    render_tables(report, Console(file=out, width=120))
    assert "best of up to 8 starts by level and likeness" in " ".join(out.getvalue().split())
    options = EvaluateOptions(max_notes=2, batch_size=64, onset_candidates=1)
    plain = evaluate_checkpoint(ckpt, kit_dir, options)
    assert plain.report["oneshot"]["searched_by"] is None  # no search


def test_a_drum_model_s_takes_are_generated_on_the_threads_asked_for(kit_dir: Path, tmp_path: Path) -> None:
    from samplernn.evaluate.oneshot import generation
    from samplernn.model.checkpoint import load_checkpoint

    ckpt = load_checkpoint(drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir)))
    assert generation(EvaluateOptions(threads=2), ckpt, 0, "cpu", None).threads == 2
    assert generation(EvaluateOptions(), ckpt, 0, "cpu", None).threads is None  # the engine's default


def test_a_drum_model_and_a_pitched_bank_are_refused_either_way(kit_dir: Path, tmp_path: Path) -> None:
    """evaluate of a drum model on a pitched bank (its keys read as pieces: "drum one-shots: 312
    takes" at trombone pitches) or of a pitched model on a kit (drum keys scored for pitch): one
    line before generating anything; pack --dataset likewise."""
    from support.eval_data import write_eval_dataset
    from support.tiny import tiny_checkpoint

    from samplernn.common.errors import UserError
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.render.pack import reference

    pitched_bank = write_eval_dataset(tmp_path / "bank")
    drums = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir))
    with pytest.raises(UserError, match=r"bank: a pitched bank, and .*drums.pt is a drum model"):
        evaluate_checkpoint(drums, pitched_bank, EvaluateOptions(max_notes=1))
    pitched = tiny_checkpoint(tmp_path / "pitched.pt", SR)
    with pytest.raises(UserError, match=r"a drum kit, and .*pitched.pt is a pitched model"):
        evaluate_checkpoint(pitched, kit_dir, EvaluateOptions(max_notes=1))
    with pytest.raises(UserError, match="a pitched bank, and the model is a drum model"):
        reference(load_checkpoint(drums), pitched_bank, [38], 1)


@pytest.mark.parametrize("given", [{"heldout_melodies": True}, {"shipped_melodies": True},
                                   {"melodies": Path("tunes")}])
def test_melodies_for_a_drum_model_are_refused_before_any_work(kit_dir: Path, tmp_path: Path, given) -> None:
    """A drum model's evaluation dropped --melodies and --shipped-melodies without a word and
    rendered --heldout-melodies through the kit (pitched melodies as drum hits); a melody option
    with a drum model is now one line before anything is generated."""
    from samplernn.common.errors import UserError

    drums = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir))
    with pytest.raises(UserError, match=r"drums\.pt: a drum model; melodies are scored for pitched models"):
        evaluate_checkpoint(drums, kit_dir, EvaluateOptions(max_notes=1, **given))


def test_chunks_without_notes_and_a_baseline_of_another_kind_are_refused(kit_dir: Path, tmp_path: Path):
    """A pitched or drum model on chunks of recordings (prepare's layout audio) would score the chunks
    as notes "C-1, velocity 0" and exit 0; a drum model as the --baseline of a pitched bank made the NLL
    bar pass against a meaningless 7.8 bits. Both refused in one line before generating anything."""
    import json

    from support.eval_data import write_eval_dataset
    from support.tiny import tiny_checkpoint

    from samplernn.common.errors import UserError
    from samplernn.prepare.sources.plain_audio import LAYOUT as CHUNK_LAYOUT

    chunks = write_eval_dataset(tmp_path / "chunks")
    info = json.loads((chunks / "dataset.json").read_text())
    (chunks / "dataset.json").write_text(json.dumps({**info, "layout": CHUNK_LAYOUT}))
    drums = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir))
    pitched = tiny_checkpoint(tmp_path / "pitched.pt", SR)
    for ckpt, kind in ((pitched, "pitched"), (drums, "drum")):
        with pytest.raises(UserError, match=rf"chunks: chunks of recordings with no notes \(layout "
                                            rf"{CHUNK_LAYOUT}\), and .* is a {kind} model"):
            evaluate_checkpoint(ckpt, chunks, EvaluateOptions(max_notes=1))
    bank = write_eval_dataset(tmp_path / "bank")
    with pytest.raises(UserError, match=r"bank: a pitched bank, and .*drums.pt is a drum model"):
        evaluate_checkpoint(pitched, bank, EvaluateOptions(max_notes=1, baseline=drums))


@pytest.mark.filterwarnings("ignore:With fmin")
def test_a_kit_s_own_min_p_per_piece_plays_its_pitched_part_too(kit_dir: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The notes the summary's NLL, clipping and DC rows are measured on are drawn as the takes are:
    at the checkpoint's table per piece, after the attack span."""
    import samplernn.evaluate.checkpoint as evaluate
    from samplernn.generate.temperature import AttackSpan

    seen: list[dict] = []
    real = evaluate.evaluate_model
    monkeypatch.setattr(evaluate, "evaluate_model", lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    table = {"piece_min_p": {"42": 0.2}}
    ckpt = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit_dir), generation=table)
    report = evaluate_checkpoint(ckpt, kit_dir, EvaluateOptions(max_notes=2, batch_size=64)).report
    played = seen[0]["generation"]
    assert played.active_piece_min_p == {42: 0.2} and played.piece_min_p_attack == AttackSpan.at_rate(SR)
    assert report["oneshot"]["piece_min_p"] == {"42": 0.2}
    assert report["oneshot"]["piece_min_p_attack"] == {"hold": round(0.01 * SR), "ramp": round(0.02 * SR)}
    evaluate_checkpoint(ckpt, kit_dir, EvaluateOptions(max_notes=2, batch_size=64, min_p=0.1))
    told = seen[1]["generation"]
    assert told.active_piece_min_p is None and told.active_min_p == 0.1  # one P for every piece, as told
