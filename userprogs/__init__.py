"""User programs of xv6py: C sources, the user library, and the built ELF files."""
