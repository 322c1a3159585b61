"""The recurrences and the Flax layers built on them: the fast-weights cell (its two forms and
the hand-written gradient of the implicit one), the baselines' recurrences, the input
projections, the cores every model chooses from, and the classifier around them.

What a researcher imports into a model of their own:

    from fwrnn.layers import FastWeights, FastWeightsCell
"""

from fwrnn.layers.fast_weights_layer import (FORMS, FastWeights, FastWeightsCell,
                                             run_fast_weights, scaled_identity)

__all__ = ['FORMS', 'FastWeights', 'FastWeightsCell', 'run_fast_weights', 'scaled_identity']
