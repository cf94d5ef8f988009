"""``python -m ecohub``: the ``ecohub`` command."""

from ecohub.cli import main

if __name__ == "__main__":
    main()
