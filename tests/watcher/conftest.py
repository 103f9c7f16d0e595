from .harness import world_factory

__all__ = ["world_factory"]
