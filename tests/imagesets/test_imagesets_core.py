"""ImageSet container behaviour: construction errors, subset, groups, concat, resize, grey, npz round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from misyn_lab.errors import InputError
from misyn_lab.imagesets import ImageSet, load_npz, normalise_intensity


def _set(n: int = 6, shape=(8, 8), name="s") -> ImageSet:
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"sex": ["F", "M"] * (n // 2), "slice_index": list(range(n))})
    return ImageSet.from_arrays(rng.random((n,) + shape).astype(np.float32), meta, name=name)


def test_from_arrays_defaults_and_flags():
    s = _set()
    assert len(s) == 6 and s.image_shape == (8, 8)
    assert list(s.meta.columns[:3]) == ["id", "source_path", "synthetic"]
    assert not s.synthetic.any()
    syn = ImageSet.from_arrays(s.images, synthetic=True)
    assert syn.synthetic.all()


def test_from_arrays_shape_mismatch_names_remedy():
    with pytest.raises(InputError, match=r"different shapes.*size=\(H, W\)"):
        ImageSet.from_arrays([np.zeros((4, 4)), np.zeros((5, 5))])


def test_nan_and_range_errors():
    bad = np.zeros((2, 4, 4), np.float32)
    bad[1, 0, 0] = np.nan
    with pytest.raises(InputError, match="1 image\\(s\\) contain NaN"):
        ImageSet.from_arrays(bad)
    with pytest.raises(InputError, match=r"must lie in \[0, 1\]"):
        ImageSet.from_arrays(np.full((1, 4, 4), 2.0))


def test_subset_and_groups():
    s = _set()
    f = s.subset(sex="F")
    assert len(f) == 3 and set(f.meta["sex"]) == {"F"}
    assert len(s.subset("slice_index > 3")) == 2
    assert len(s.subset(sex=["F", "M"], slice_index=[0, 1])) == 2
    with pytest.raises(InputError, match="unknown metadata column 'age'"):
        s.subset(age="40")
    groups = s.groups("sex")
    assert list(groups) == ["F", "M"] and sum(len(g) for g in groups.values()) == 6
    np.testing.assert_array_equal(groups["M"].images, s.images[1::2])


def test_groups_keep_images_with_a_missing_value():
    from misyn_lab.imagesets.core import MISSING_GROUP

    s = _set().with_meta(sex=["F", None, "M", np.nan, "F", "M"])
    groups = s.groups("sex")
    assert list(groups) == ["F", "M", MISSING_GROUP] == ["F", "M", "<missing>"]
    assert sum(len(g) for g in groups.values()) == len(s)
    assert groups["<missing>"].ids == [s.ids[1], s.ids[3]]
    assert list(_set().groups("sex")) == ["F", "M"]  # no missing value, no extra group
    clash = _set().with_meta(sex=["F", None, "<missing>", "M", "F", "M"])
    with pytest.raises(InputError, match="has missing values and also the value '<missing>'"):
        clash.groups("sex")


def test_concat_shape_mismatch_error():
    a, b = _set(name="a"), _set(shape=(10, 10), name="b")
    with pytest.raises(InputError, match=r"cannot concatenate images of shape \(8, 8\) and \(10, 10\)"):
        a.concat(b)
    c = a.concat(b.resized((8, 8)).with_meta(id=[f"b{i}" for i in range(6)]))
    assert len(c) == 12


def test_resized_and_grey():
    s = _set()
    r = s.resized((4, 5))
    assert r.image_shape == (4, 5) and r.images.min() >= 0 and r.images.max() <= 1
    rgb = ImageSet.from_arrays(np.stack([np.dstack([np.full((4, 4), v)] * 3) for v in (0.2, 0.8)]))
    g = rgb.to_grey()
    assert g.image_shape == (4, 4)
    np.testing.assert_allclose(g.images[:, 0, 0], [0.2, 0.8], atol=1e-5)


def test_save_npz_round_trip(tmp_path):
    s = _set().with_meta(synthetic=[True, False] * 3)
    path = s.save_npz(tmp_path / "s.npz")
    back = load_npz(path)
    np.testing.assert_array_equal(back.images, s.images)
    assert back.ids == s.ids and back.synthetic.tolist() == s.synthetic.tolist()
    assert back.content_hash() == s.content_hash()


def test_save_npz_suffix_atomic_and_skipped(tmp_path):
    from misyn_lab.imagesets.core import SkippedFile

    s = ImageSet(_set().images, _set().meta, name="set", skipped=[SkippedFile("a/bad.png", "truncated PNG")])
    path = s.save_npz(tmp_path / "noext")
    assert path == tmp_path / "noext.npz" and path.is_file() and not (tmp_path / "noext").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noext.npz"]  # no temp file left behind
    back = load_npz(path)
    assert [(k.path, k.reason) for k in back.skipped] == [("a/bad.png", "truncated PNG")] and back.name == "set"
    assert s.save_npz(tmp_path / "x.data") == tmp_path / "x.data.npz"


def test_normalise_intensity_pure():
    a = np.array([[-1000, 0], [1000, 3000]], dtype=np.int16)
    out = normalise_intensity(a)
    assert out.dtype == np.float32 and out.min() == 0 and out.max() == 1
    np.testing.assert_allclose(out[0, 1], 0.25)
    assert a[0, 0] == -1000  # input untouched
    clipped = normalise_intensity(np.arange(101), lo_pct=10, hi_pct=90)
    assert clipped[5] == 0 and clipped[95] == 1
    assert not normalise_intensity(np.full((3, 3), 7)).any()
    with pytest.raises(InputError, match="NaN or infinite"):
        normalise_intensity(np.array([1.0, np.inf]))


def test_luminance_weights_and_precision():
    from misyn_lab.imagesets.intensity import LUMA_WEIGHTS, luminance

    rgb32 = np.eye(3, dtype=np.float32)[None]  # pure R, G, B pixels
    assert luminance(rgb32).dtype == np.float32
    np.testing.assert_allclose(luminance(rgb32)[0], LUMA_WEIGHTS, rtol=1e-6)
    assert luminance(rgb32.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(luminance(rgb32.astype(np.float64))[0], LUMA_WEIGHTS)


def test_describe_names_size_and_content_hash():
    s = _set(name="mri")
    assert s.describe() == f"mri (n=6, sha256:{s.content_hash()[:16]})"
    assert s.take([0, 1]).describe() != s.describe()
