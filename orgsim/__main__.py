"""`python -m orgsim ...` runs the command line, like `orgsim ...`."""

from orgsim.cli import main

main()
