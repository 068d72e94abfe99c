"""ascentlab: autonomous R&D agents improving ML systems under a budget, measured honestly."""

__version__ = "0.1.0"
