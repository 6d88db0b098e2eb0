"""Tracking sinks: TensorBoard and W&B receive the runner's namespaced scalars as they are.

The event files and the offline W&B run are read back from disk, byte format and all, so
these tests check what a dashboard would show, not only that the writers were called.
"""

import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from prosocial.errors import ConfigError, ProsocialError
from prosocial.experiments import tracking
from prosocial.experiments.tracking import Sink, TensorBoardSink, make_sinks

PD = "prisoners_dilemma/planner/social/welfare"
SH = "stag_hunt/no_planner/cooperation"

ROWS = [  # (step, scalars) as the runner logs them: one dict per logged row
    (0, {PD: 0.1, SH: -2.5}),
    (5, {PD: 1.25, SH: math.nan}),
    (10, {PD: math.inf, SH: 3.0}),
    (15, {PD: np.float32(-0.75), SH: np.float64(1e-3)}),
]
# what must come out: NaN and inf are left out, every other value kept at its own step
EXPECTED = {
    PD: {0: 0.1, 5: 1.25, 15: -0.75},
    SH: {0: -2.5, 10: 3.0, 15: 1e-3},
}


# ---------------------------------------------------------------- TensorBoard


def _tfrecords(path: Path):
    """The payloads of a TFRecord file: u64 length, u32 crc, payload, u32 crc, repeated."""
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos : pos + 8])
        pos += 12
        yield data[pos : pos + length]
        pos += length + 4
    assert pos == len(data), "truncated event file"


def _tensorboard_scalars(logdir: Path) -> dict[str, dict[int, float]]:
    from tensorboardX.proto.event_pb2 import Event

    files = sorted(logdir.glob("events.out.tfevents.*"))
    assert files, f"no event file under {logdir}"
    scalars: dict[str, dict[int, float]] = {}
    for path in files:
        for payload in _tfrecords(path):
            event = Event()
            event.ParseFromString(payload)
            for value in event.summary.value:
                steps = scalars.setdefault(value.tag, {})
                assert event.step not in steps, f"{value.tag} logged twice at {event.step}"
                steps[event.step] = value.simple_value
    return scalars


def _as_float32(table: dict[str, dict[int, float]]) -> dict[str, dict[int, float]]:
    # TensorBoard's simple_value is a float32: compare with the float32 of each value, exactly
    return {
        tag: {s: float(np.float32(v)) for s, v in steps.items()} for tag, steps in table.items()
    }


def test_tensorboard_events_hold_the_exact_scalars_and_steps(tmp_path):
    pytest.importorskip("tensorboardX")
    (sink,) = make_sinks(["csv", "tensorboard"], tmp_path, "run-1", {"seeds": 2})
    assert isinstance(sink, Sink)
    for step, scalars in ROWS:
        sink.log(scalars, step=step)
    sink.close()
    sink.close()  # a second close does nothing
    sink.log({PD: 9.0}, step=99)  # nor does a log after close

    assert _tensorboard_scalars(tmp_path / "tensorboard") == _as_float32(EXPECTED)


def test_a_row_of_only_non_finite_values_writes_nothing(tmp_path):
    pytest.importorskip("tensorboardX")
    sink = TensorBoardSink(tmp_path / "tb")
    sink.log({PD: 2.0}, step=1)
    sink.log({PD: math.nan, SH: -math.inf}, step=2)
    sink.close()
    assert _tensorboard_scalars(tmp_path / "tb") == {PD: {1: 2.0}}


# ---------------------------------------------------------------- W&B


def _wandb_records(path: Path):
    """The records of a .wandb file (W&B's LevelDB-style log of protobuf Records)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    block, header = 32768, 7
    pos, chunks = 7, b""  # 7 bytes of file header: magic, 0xBEE1, version
    while pos + header <= len(data):
        left = block - pos % block
        if left < header:  # a block's tail too short for a record header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + header])
        pos += header
        chunks += data[pos : pos + length]
        pos += length
        if kind in (1, 4):  # FULL or LAST: a whole record is in hand
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunks)
            chunks = b""
            yield record


def _finished_wandb_records(path: Path, timeout: float = 15.0) -> list:
    """The records of a finished run's .wandb file, once its exit record is on disk.

    ``run.finish()`` can return a moment before wandb-core has flushed the file (seen under
    CPU load with wandb 0.31: a 7-byte file right after finish), so poll for the exit record.
    """
    from google.protobuf.message import DecodeError

    deadline = time.monotonic() + timeout
    while True:
        try:
            records = list(_wandb_records(path))
        except (DecodeError, struct.error):  # a record caught half-written
            records = []
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        if time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def _item_key(item) -> str:
    return item.key or ".".join(item.nested_key)


@pytest.fixture
def offline_wandb(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    home = tmp_path / "wandb-home"
    home.mkdir()
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(home))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("WANDB_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")
    return tmp_path / "run"


def test_wandb_offline_run_holds_the_logged_history(offline_wandb):
    run_dir = offline_wandb
    config = {"preset": "amd-table-4.2", "config": {"seeds": 2, "lr": 0.5}}
    (sink,) = make_sinks(["wandb"], run_dir, "amd-table-4.2-abc123", config)
    assert sink.mode == "offline"
    for step, scalars in ROWS:
        sink.log(scalars, step=step)
    sink.close()
    sink.close()

    files = sorted((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 1, files
    history: dict[str, dict[int, float]] = {}
    runs = []
    for record in _finished_wandb_records(files[0]):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            runs.append(record.run)
        elif kind == "history":
            row = {_item_key(i): json.loads(i.value_json) for i in record.history.item}
            step = row.pop("_step")
            for key, value in row.items():
                if not key.startswith("_"):
                    history.setdefault(key, {})[step] = value
    assert history == EXPECTED

    assert len(runs) == 1
    assert runs[0].project == "prosocial"
    assert runs[0].display_name == "amd-table-4.2-abc123"
    stored = {_item_key(i): json.loads(i.value_json) for i in runs[0].config.update}
    assert stored["preset"] == "amd-table-4.2"
    assert stored["config"] == {"seeds": 2, "lr": 0.5}


def test_wandb_mode_follows_the_environment_and_the_credentials(tmp_path, monkeypatch):
    for name in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    netrc_file = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc_file))
    assert tracking.wandb_mode() == "offline"  # no key anywhere

    netrc_file.write_text("machine example.org login user password x\n")
    assert tracking.wandb_mode() == "offline"  # a key, but for another host

    netrc_file.write_text("machine api.wandb.ai login user password " + "k" * 40 + "\n")
    assert tracking.wandb_mode() == "online"
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.example.org")
    assert tracking.wandb_mode() == "offline"  # the key is not for the configured host

    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    assert tracking.wandb_mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert tracking.wandb_mode() == "disabled"


# ---------------------------------------------------------------- names and errors


def test_csv_alone_makes_no_sink(tmp_path):
    assert make_sinks(["csv"], tmp_path, "r", {}) == []
    assert make_sinks([], tmp_path, "r", {}) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("names", "text"),
    [
        (
            ["tensorboard", "mlflow"],
            "track: 'mlflow' is not accepted; accepted: csv, tensorboard, wandb",
        ),
        (
            ["TensorBoard"],
            "track: 'TensorBoard' is not accepted; accepted: csv, tensorboard, wandb",
        ),
        (["tensorboard", "wandb", "tensorboard"], "track: 'tensorboard' is given twice"),
        (["csv", "csv"], "track: 'csv' is given twice"),
    ],
)
def test_unknown_and_repeated_names_are_refused_before_any_sink_is_made(tmp_path, names, text):
    with pytest.raises(ConfigError) as caught:
        make_sinks(names, tmp_path, "r", {})
    assert caught.value.field == "track"
    assert str(caught.value).startswith(text)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing was created: no tensorboard/, no wandb/


def test_a_comma_separated_string_is_split_into_names(tmp_path):
    assert make_sinks("csv", tmp_path, "r", {}) == []
    with pytest.raises(ConfigError, match="'nope' is not accepted"):
        make_sinks("csv, nope", tmp_path, "r", {})


@pytest.mark.parametrize(("module", "name"), [("tensorboardX", "tensorboard"), ("wandb", "wandb")])
def test_a_missing_optional_dependency_names_the_track_extra(tmp_path, monkeypatch, module, name):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    with pytest.raises(ProsocialError) as caught:
        make_sinks([name], tmp_path, "r", {})
    assert str(caught.value) == (
        f'track: {name} needs the [track] extra; pip install "prosocial[track]"'
    )


def test_a_failing_later_sink_closes_the_ones_already_made(tmp_path, monkeypatch):
    pytest.importorskip("tensorboardX")
    closed = []
    real_close = TensorBoardSink.close

    def spy(self):
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(TensorBoardSink, "close", spy)
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ProsocialError, match=r"\[track\] extra"):
        make_sinks(["tensorboard", "wandb"], tmp_path, "r", {})
    assert len(closed) == 1
