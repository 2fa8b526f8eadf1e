"""The benchmark instrument (``make bench``): see bench/run.py."""
