"""What the progress lines say: speed, elapsed time and time left, and a spread over members."""

import sys
import time

import numpy as np

from fwrnn.engine.kind import Schedule


class Progress:
  """Steps and seconds trained so far, and the speed and time left as the progress line
  tells them."""

  def __init__(self, size: int, schedule: Schedule, first_step: int):
    self.size, self.schedule = size, schedule
    self.steps, self.seconds, self.last_steps, self.last_seconds = 0, 0.0, 0, 0.0
    self.step = first_step
    self._started = time.perf_counter()

  def add(self, steps: int, seconds: float) -> None:
    self.steps, self.seconds = self.steps + steps, self.seconds + seconds
    self.last_steps, self.last_seconds, self.step = steps, seconds, self.step + steps

  def text(self, training: int) -> str:
    """Throughput (per member, and of the training members together: a stopped one does no
    work), elapsed time and the time left at this pace."""
    rate = self.last_steps / self.last_seconds
    work = rate * self.schedule.units_per_step * training
    unit = self.schedule.unit
    elapsed = time.perf_counter() - self._started
    left = (self.schedule.num_steps - self.step) * elapsed / max(self.steps, 1)
    members = f'all {self.size}' if training == self.size else f'the {training} training'
    speed = (f'{_rate(rate)} steps/s, {work:,.0f} {unit}/s' if self.size == 1 else
             f'{_rate(rate)} steps/s per member, {work:,.0f} {unit}/s for {members}')
    line = f'{speed}  {_clock(elapsed)} elapsed, {_clock(left)} left at most'
    if sys.stderr.isatty():
      done = int(20 * self.step / self.schedule.num_steps)
      line = f'[{"#" * done}{"." * (20 - done)}] ' + line
    return line


def _rate(per_second: float) -> str:
  """A speed to two significant digits below 10 (0.47, 3.2), else in whole units."""
  return f'{per_second:.2g}' if per_second < 10 else f'{per_second:,.0f}'


def _clock(seconds: float) -> str:
  minutes, seconds = divmod(int(seconds), 60)
  return f'{minutes // 60}:{minutes % 60:02d}:{seconds:02d}'


def spread(values, fmt: str = '{:.2f}%') -> str:
  """One number, or the range over the members of a population."""
  low, high = float(np.min(values)), float(np.max(values))
  return fmt.format(low) if len(values) == 1 else f'{fmt.format(low)}..{fmt.format(high)}'
