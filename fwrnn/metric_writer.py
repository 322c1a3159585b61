"""TensorBoard logging through tensorboardX, behind two calls."""

from typing import Mapping

from tensorboardX import SummaryWriter


class MetricWriter:
  """Writes scalars and hyper-parameters to event files in one directory."""

  def __init__(self, logdir: str):
    self._writer = SummaryWriter(logdir)

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    for name, value in scalars.items():
      self._writer.add_scalar(name, float(value), step)
    self._writer.flush()

  def write_hparams(self, hparams: Mapping[str, object], metrics: Mapping[str, float]) -> None:
    self._writer.add_hparams(dict(hparams), {k: float(v) for k, v in metrics.items()},
                             name='hparams')
    self._writer.flush()

  def close(self) -> None:
    self._writer.close()
