"""``python -m moodtwin``: the command-line interface (research use only)."""

from moodtwin.cli import main

if __name__ == "__main__":
    main()
