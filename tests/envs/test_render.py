"""`prosocial render` and the rollout/GIF helpers: a GIF a person can watch, clear errors."""

import os
import stat
from typing import Any

import jax
import numpy as np
import pytest
from PIL import Image

from prosocial import envs
from prosocial.cli import _make_env, _parse_field, main
from prosocial.envs.render import auto_scale, rollout_frames, write_gif


def gif_frames(path):
    """Decoded RGB frames and their delays (ms) of a GIF."""
    with Image.open(path) as im:
        frames, delays = [], []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGB")))
            delays.append(im.info["duration"])
    return np.stack(frames), delays


def test_render_writes_a_gif_of_the_requested_steps(tmp_path, capsys):
    out = tmp_path / "episode.gif"
    args = ["render", "coin_game", "--size", "4", "--max_steps", "5", "--steps", "12"]
    assert main([*args, "--fps", "20", "--seed", "3", "--out", str(out)]) == 0
    frames, delays = gif_frames(out)
    # 12 steps, across two episode ends; 4x4 cells of 24 px, enlarged 4 times so that the
    # longer side reaches 320 px; on a torus without a stay action every step moves every
    # agent, so no frame repeats
    assert frames.shape == (13, 384, 384, 3)
    assert delays == [50] * 13
    assert "13 frames of coin_game (12 steps" in capsys.readouterr().out


def test_render_without_steps_plays_one_episode_with_field_overrides(tmp_path):
    out = tmp_path / "three.gif"
    args = ["render", "coin_game", "--max_steps", "5", "--num_agents", "3", "--seed", "1"]
    assert main([*args, "--out", str(out)]) == 0
    frames, _ = gif_frames(out)
    assert len(frames) == 6  # the first state and the five steps of the episode
    third_agent = np.array([133, 153, 0], np.uint8)  # the third colour of the Coin Game
    assert np.any(np.all(frames[0] == third_agent, axis=-1))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["coin_gam"], "unknown environment 'coin_gam'; accepted: "),
        (["coin_game", "--policy", "greedy"], "unknown policy 'greedy'; accepted: random"),
        (["coin_game", "--size", "two"], "coin_game.size: 'two' is not accepted; accepted: an"),
        (["coin_game", "--size", "1"], "coin_game.size: 1 is not accepted; accepted: an integer"),
        (["coin_game", "--colour", "red"], "colour: unknown field; accepted: "),
        (["coin_game", "--fps", "0"], "fps: 0 is not accepted"),
        (["coin_game", "--steps", "0"], "steps: 0 is not accepted"),
        (["coin_game", "--out", "episode.png"], "a path ending in .gif"),
        ([], "render: missing the environment name"),
    ],
)
def test_bad_render_input_is_one_line_and_status_2(args, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default output would land here
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "episode.gif")] if args else args
    assert main(["render", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert args[:1] != ["coin_gam"] or "coin_game," in err  # the accepted names
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # nothing written


def test_fields_are_parsed_into_their_types():
    env = _make_env("coin_game", {"egocentric": "yes", "pickup-reward": "2.5", "size": "4"})
    assert (env.params.egocentric, env.params.pickup_reward, env.params.size) == (True, 2.5, 4)
    # a field typed Any (explicit payoffs) takes a Python literal, or else the string
    assert _parse_field("g.payoffs", "[[3, 0], [5, 1]]", Any) == [[3, 0], [5, 1]]
    assert _parse_field("g.payoffs", "none", Any) == "none"


@pytest.mark.skipif("ipd" not in envs.names(), reason="the iterated matrix game is not registered")
def test_explicit_payoffs_reach_the_environment_and_its_checks(tmp_path, capsys):
    payoffs = "[[[3, 0], [5, 1]], [[3, 5], [0, 1]]]"
    assert np.shape(_make_env("ipd", {"payoffs": payoffs}).params.payoffs) == (2, 2, 2)
    assert main(["render", "ipd", "--payoffs", "[1, 2]", "--out", str(tmp_path / "a.gif")]) == 2
    assert "ipd.payoffs: shape (2,)" in capsys.readouterr().err


def test_rollout_starts_from_reset_and_stops_at_the_episode_end():
    env = envs.make("coin_game", max_steps=4)
    key = jax.random.PRNGKey(7)
    frames = rollout_frames(env, key)
    assert frames.shape == (5, 72, 72, 3) and frames.dtype == np.uint8
    _, state = jax.jit(env.reset)(jax.random.split(key)[1])
    np.testing.assert_array_equal(frames[0], jax.jit(env.render)(state))


def test_write_gif_keeps_colours_and_scales_without_smoothing(tmp_path):
    rng = np.random.default_rng(0)
    palette = np.array([[245, 245, 245], [220, 50, 47], [38, 139, 210]], np.uint8)
    frames = palette[rng.integers(0, 3, (4, 6, 5))]  # four distinct 6x5 frames
    write_gif(frames, tmp_path / "a.gif", fps=4, scale=3)
    decoded, delays = gif_frames(tmp_path / "a.gif")
    np.testing.assert_array_equal(decoded, frames.repeat(3, axis=1).repeat(3, axis=2))
    assert delays == [250] * 4
    assert [p.name for p in tmp_path.iterdir()] == ["a.gif"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.gif").stat().st_mode) == 0o666 & ~umask  # as any file
    assert auto_scale((6, 5)) == 54 and auto_scale((400, 300)) == 1
