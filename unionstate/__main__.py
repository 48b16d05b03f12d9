"""`python -m unionstate` runs the command-line interface."""

from unionstate.cli import main

main()
