"""The learning benchmark's clips: disjoint splits, and captions that say what the frames show."""

from __future__ import annotations

import numpy as np
import pytest

from simda.data import read_webvid_csv
from simda.synthetic import COLOURS, DIRECTIONS, OCCLUDER, SPEEDS, moving_shape, shape_motion, write_learning_set


def shape_mask(frame: np.ndarray) -> np.ndarray:
    """Pixels that are neither the background (the frame's commonest colour) nor the grey bar."""
    colours, counts = np.unique(frame.reshape(-1, 3), axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return (frame != background).any(-1) & (frame != OCCLUDER).any(-1)


def best_shift(before: np.ndarray, after: np.ndarray, bar: np.ndarray, reach: int = 4) -> tuple[int, int]:
    """The wrapping shift that best carries ``before``'s mask onto ``after``'s and back (the motion of one
    frame): most pixels landing on the shape, fewest on background (landing behind the bar is neither)."""

    def carried(source: np.ndarray, target: np.ndarray, shift: tuple[int, int]) -> int:
        moved = np.roll(source, shift, axis=(0, 1))
        return int((moved & target).sum()) - int((moved & ~target & ~bar).sum())

    def fit(shift: tuple[int, int]) -> int:
        return carried(before, after, shift) + carried(after, before, (-shift[0], -shift[1]))

    return max(((dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)), key=fit)


@pytest.mark.parametrize("index", [0, 5, 13, 22, 37, 50, 71, 95])
def test_the_caption_names_the_colour_direction_and_speed_the_frames_show(index):
    frames, motion = moving_shape(index, seed=3, num_frames=10, size=32)
    assert motion == shape_motion(index)
    assert motion.caption.startswith(f"a {motion.colour} {motion.shape} moving {motion.direction} {motion.speed}")
    masks = [shape_mask(frame) for frame in frames]
    expected = tuple(SPEEDS[motion.speed] * step for step in DIRECTIONS[motion.direction])
    # frame to frame the shape moves by the caption's step, also while partly hidden behind the bar
    bar = (frames[0] == OCCLUDER).all(-1)
    shifts = [best_shift(a, b, bar) for a, b in zip(masks, masks[1:], strict=False)]
    assert shifts == [expected] * len(shifts)
    pixels = np.concatenate([frame[mask] for frame, mask in zip(frames, masks, strict=True)]).astype(float)
    hue = pixels.mean(0) / pixels.mean(0).sum()
    named = {name: np.asarray(rgb, float) / sum(rgb) for name, rgb in COLOURS.items()}
    assert min(named, key=lambda name: np.abs(named[name] - hue).sum()) == motion.colour


def test_a_clip_is_a_pure_function_of_index_and_seed():
    first, _ = moving_shape(7, seed=1)
    assert np.array_equal(first, moving_shape(7, seed=1)[0])
    assert not np.array_equal(first, moving_shape(7, seed=2)[0])


def test_brightness_changes_over_time():
    """The appearance changes: a model must look at the neighbouring frames to know how bright the shape is."""
    frames, _ = moving_shape(2, num_frames=8)
    brightness = [frame[shape_mask(frame)].mean() for frame in frames]
    assert max(brightness) - min(brightness) > 20


def test_training_and_heldout_clips_are_disjoint_and_in_webvid_layout(tmp_path):
    data = write_learning_set(tmp_path, num_train=10, num_heldout=4, num_frames=6, size=32, seed=0)
    train = read_webvid_csv(data.train_csv, data.videos)
    heldout = read_webvid_csv(data.heldout_csv, data.videos)
    assert len(train) == 10 and len(heldout) == 4
    assert not {video.video_id for video in train} & {video.video_id for video in heldout}
    assert not {video.path for video in train} & {video.path for video in heldout}
    assert all(video.path.is_file() for video in train + heldout)
    assert heldout[0].caption == shape_motion(10).caption
