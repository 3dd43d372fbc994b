"""`python -m app COMMAND`: the aegis-mcp commands where the console script is not installed (a checkout,
the container image)."""

from app.cli import main

main()
