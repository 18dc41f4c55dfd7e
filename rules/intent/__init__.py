"""The learned purchase-intent score: a calibrated chance (0..1) that a session ends in an order.

Trained with scikit-learn on the UCI "Online Shoppers Purchasing Intention" sessions (and, later, the shop's
own exported sessions) by ``clickto train``; stored as plain JSON numbers and scored in pure Python, so
loading a model never runs code from the file. Rule files use it as ``scores: {intent: {model: DIR}}``.

Importing this package is cheap: scikit-learn and numpy are only imported by training and evaluation.
"""

from rules.intent.features import FEATURE_SETS, export_sessions_csv, session_to_row
from rules.intent.model import IntentModel, ModelError, load_score_model
from rules.intent.rows import training_facts

__all__ = ["FEATURE_SETS", "IntentModel", "ModelError", "export_sessions_csv", "load_score_model", "session_to_row",
           "training_facts"]
