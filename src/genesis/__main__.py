"""Allow `python -m genesis`, the same as the `genesis` command."""

from genesis.cli import main

main()
