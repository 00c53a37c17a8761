"""Plinth's host tooling: build helpers, generators, image builder, emulator launchers."""
