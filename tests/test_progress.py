"""The progress line: speeds below one step a second are not shown as 0."""

import pytest

from fwrnn.engine.kind import Schedule
from fwrnn.engine.progress import Progress

SCHEDULE = Schedule(num_steps=1000, ceiling_field='train.num_steps', log_every=50, save_every=100,
                    unit='sequences', units_per_step=64)


@pytest.mark.parametrize('steps, seconds, speed', [
    (50, 106.4, '0.47 steps/s per member, 180 sequences/s for all 6'),
    (50, 15.6, '3.2 steps/s per member, 1,231 sequences/s for all 6'),
    (50, 0.04, '1,250 steps/s per member, 480,000 sequences/s for all 6')])
def test_the_line_gives_each_speed_with_its_digits(steps, seconds, speed):
  progress = Progress(6, SCHEDULE, first_step=0)
  progress.add(steps, seconds)
  assert progress.text(training=6).startswith(speed)


def test_one_run_gives_its_speed_and_the_time_left():
  progress = Progress(1, SCHEDULE, first_step=900)
  progress.add(50, 0.5)
  line = progress.text(training=1)
  assert line.startswith('100 steps/s, 6,400 sequences/s  ')
  assert line.endswith(' left at most')
