"""``python -m marble``: the ``marble`` command line."""

from marble.frontends.cli.main import main

main()
