"""`python -m schema.export > schema.graphql`: the SDL the front-end teams build against."""

from strawberry.printer import print_schema

from schema.registry import SchemaRegistry, make_plugins


def sdl(plugins=None) -> str:
    """The schema with every installed module enabled."""
    return print_schema(SchemaRegistry(plugins or make_plugins()).full) + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
