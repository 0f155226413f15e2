"""The ``baton`` command line: one module per command, each parsing its arguments, making
one ``baton.steps`` call and rendering the result (``_render``). The console script is
``baton.cli.main:run``; the Python API is ``baton`` itself."""

__all__: list[str] = []
