"""Cluster Lab entry point."""
from app.bootstrap import main

if __name__ == "__main__":
    raise SystemExit(main())
