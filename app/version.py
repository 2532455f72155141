"""The application's version, kept Qt-free so the CLI can print it cheaply."""

__version__ = "0.1.0"
