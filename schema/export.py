"""`python -m schema.export > schema.graphql`: the SDL the front-end teams build against."""

from strawberry.printer import print_schema

from schema.app import build_schema


def sdl() -> str:
    return print_schema(build_schema()) + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
