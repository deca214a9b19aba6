"""`python -m kamxl`: the same as the `kamxl` command."""

from .cli import run

if __name__ == "__main__":  # guarded: reading workers on Windows re-import this module
    run()
