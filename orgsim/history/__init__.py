"""Your own history: a CRM export read through a mapping, the market and the team calibrated
from it, and the model checked against what happened."""
