"""Issue 11: saving leaves nothing behind, loading is all-or-nothing and reads nothing unchecked."""

import io
import os
import stat
import tracemalloc
import zipfile

import numpy as np
import pytest

import backproplab as bp


def test_a_bad_entry_leaves_the_model_untouched(tmp_path):
    model = bp.nn.MLP(2, [3, 2], seed=0)
    state = bp.nn.MLP(2, [3, 2], seed=1).state_dict()
    state["layers.1.bias"] = np.array([0.0, np.inf], np.float32)  # the last entry is bad
    np.savez(tmp_path / "w.npz", **state)
    before = model.state_dict()
    with pytest.raises(ValueError, match="layers.1.bias contains NaN or inf"):
        bp.load(model, tmp_path / "w.npz")
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_hostile_header_allocates_nothing(tmp_path):
    state = bp.nn.MLP(2, [3, 2], seed=0).state_dict()
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in state.items():
            with archive.open(name + ".npy", "w") as entry:
                if name == "layers.0.weight":  # claims 3 x 2, but 10**9 bytes of data follow? no: 8
                    np.lib.format.write_array_header_1_0(
                        entry, {"descr": "<f8", "fortran_order": False, "shape": (3, 2)})
                    entry.write(b"\0" * 8)
                else:
                    np.lib.format.write_array(entry, value)
        with archive.open("huge.npy", "w") as entry:
            np.lib.format.write_array_header_1_0(
                entry, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    tracemalloc.start()
    with pytest.raises(ValueError, match=str(path.name)):
        bp.load(bp.nn.MLP(2, [3, 2]), path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10**6


def test_saved_files_get_the_mode_np_savez_gives(tmp_path):
    old = os.umask(0o027)
    try:
        bp.save(bp.nn.MLP(2, [2]), tmp_path / "new.npz")
        np.savez(tmp_path / "ref.npz", a=np.ones(1))
        assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == \
            stat.S_IMODE(os.stat(tmp_path / "ref.npz").st_mode) == 0o640
        os.chmod(tmp_path / "new.npz", 0o604)
        bp.save(bp.nn.MLP(2, [2]), tmp_path / "new.npz")  # replacing keeps the file's mode
        assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o604
    finally:
        os.umask(old)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_save_leaves_no_temporary_file_and_names_the_target(tmp_path, monkeypatch, failure):
    def broken(f, state):
        f.write(b"partial")
        raise failure

    monkeypatch.setattr(bp.io, "_write_npz", broken)
    target = tmp_path / "w.npz"
    with pytest.raises(type(failure)) as info:
        bp.save(bp.nn.MLP(2, [2]), target)
    assert os.listdir(tmp_path) == []
    if isinstance(failure, OSError):
        assert str(target) in str(info.value) and ".tmp" not in str(info.value)


def test_any_parameter_name_saves_and_np_load_reads_it(tmp_path):
    model = bp.nn.Module()
    model.file = bp.Tensor([1.0], requires_grad=True)
    model.allow_pickle = bp.Tensor([2.0], requires_grad=True)
    bp.save(model, tmp_path / "odd.npz")
    with np.load(tmp_path / "odd.npz") as archive:
        assert sorted(archive.files) == ["allow_pickle", "file"] and archive["file"][0] == 1.0
    buffer = io.BytesIO()
    bp.save(model, buffer)
    buffer.seek(0)
    other = bp.nn.Module()
    other.file = bp.Tensor([0.0], requires_grad=True)
    other.allow_pickle = bp.Tensor([0.0], requires_grad=True)
    assert bp.load(other, buffer).allow_pickle.item() == 2.0
