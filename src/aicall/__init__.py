"""aicall: an open-source AI outbound call center."""

__version__ = "0.1.0"
