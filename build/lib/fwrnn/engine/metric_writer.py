"""TensorBoard logging through tensorboardX, behind two calls."""

from typing import Mapping

from tensorboardX import SummaryWriter
from tensorboardX.summary import hparams as hparams_summaries


class MetricWriter:
  """Writes scalars and hyper-parameters to the event files of one run directory."""

  def __init__(self, logdir: str):
    self._writer = SummaryWriter(logdir)

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    for name, value in scalars.items():
      self._writer.add_scalar(name, float(value), step)
    self._writer.flush()

  def write_hparams(self, step: int, hparams: Mapping[str, object],
                    metrics: Mapping[str, float]) -> None:
    """The hyper-parameters and their metrics in this run's own event stream (tensorboardX's
    add_hparams would open a second run beside it)."""
    for summary in hparams_summaries(dict(hparams), {k: float(v) for k, v in metrics.items()}):
      self._writer.file_writer.add_summary(summary)
    self.write_scalars(step, metrics)

  def close(self) -> None:
    self._writer.close()
