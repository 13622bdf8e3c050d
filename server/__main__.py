"""``python -m server DB HOST PORT [OFFICE_TOKEN]``."""

from .run import main

main()
