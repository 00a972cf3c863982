"""`python -m workflow` is the `lawflow` command."""

from workflow.cli import main

main()
