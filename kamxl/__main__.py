"""`python -m kamxl`: the same as the `kamxl` command."""

from .cli import main

if __name__ == "__main__":  # guarded: reading workers on Windows re-import this module
    main()
