"""Build, publish and open the on-disk index."""
