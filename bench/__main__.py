"""`python -m bench`: the bench suite (see bench/suite.py)."""

from bench.suite import main

main()
