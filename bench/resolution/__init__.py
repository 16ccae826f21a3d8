"""The remote-resolution benchmark (bench/remote_resolution.py) in parts."""
