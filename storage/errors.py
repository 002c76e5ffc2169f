"""SQLAlchemy's errors, converted once, at this boundary, into `core.errors.StorageError`."""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from core.errors import StorageError

P = ParamSpec("P")
T = TypeVar("T")


def wrap_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn SQLAlchemy errors into `StorageError`, keeping the cause."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except SQLAlchemyError as e:
            raise StorageError(
                f"database error in {func.__name__}: {e.__class__.__name__}: "
                f"{str(e).splitlines()[0]}"
            ) from e

    return wrapper
