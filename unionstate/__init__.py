"""unionstate: track the Russia–Belarus Union State integration roadmaps."""

__version__ = "0.1.0"
