"""`aicall trunk` takes the password from AICALL_TRUNK_PASSWORD, never from argv: tests
written as `--password X` run with X in the environment instead."""

import os
from contextlib import contextmanager
from unittest import mock


@contextmanager
def password_from_env(args: tuple):
    args = list(args)
    env = {}
    if "--password" in args:
        at = args.index("--password")
        env["AICALL_TRUNK_PASSWORD"] = args[at + 1]
        del args[at : at + 2]
    with mock.patch.dict(os.environ, env):
        yield args
