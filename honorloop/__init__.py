"""The `honorloop` console command: the composition root that wires the layers."""
