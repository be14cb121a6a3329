"""The ``marble`` command line (typer). Each command lives in its own module; ``main`` assembles them."""
