# Runs many `aws` (CLI v1) commands in one Python process, for the tests that check the sandbox
# with the real aws CLI. Each `aws` process spends ~1.4 CPU-seconds starting Python and importing
# awscli and botocore before it sends a byte; here that is paid once per test worker.
#
# Each command goes through the CLI's own entry point, awscli.clidriver.main(), the function the
# installed `aws` script calls: a new botocore session and CLI driver per command (nothing is
# shared between commands but imported code), the same argument parsing, request serialization,
# response parsing, --query, output formatting, error messages and exit codes.
#
# Protocol: one JSON request per line on stdin, {"argv": [...], "env": {...}} (argv without the
# leading "aws"; env is the command's whole environment, as a spawned `aws` would get it), answered
# by one JSON line {"rc": int, "stdout": str, "stderr": str} on the process's original stdout.
# Its first line, before any request, names the versions it runs ({"awscli", "botocore",
# "python"}), for the caller to compare with `aws --version`. It ends at the end of its input.
import importlib
import io
import json
import os
import platform
import sys
import traceback

import awscli
import awscli.clidriver
import botocore


def exit_status(code):
    """the status a process ending with SystemExit(code) reports, as the interpreter computes it"""
    if code is None:
        return 0, ''
    if isinstance(code, int):
        return code & 0xFF, ''
    return 1, '%s\n' % code


def run(argv, env):
    os.environ.clear()
    os.environ.update(env)
    # what the installed `aws` script does before importing awscli
    if os.environ.get('LC_CTYPE', '') == 'UTF-8':
        os.environ['LC_CTYPE'] = 'en_US.UTF-8'
    # importing awscli adds its data directory to AWS_DATA_PATH (after any the environment names),
    # where botocore finds the CLI's own data: done again for this command's environment
    importlib.reload(awscli)
    # text streams over byte buffers, like a process's: awscli writes raw bytes to sys.stdout.buffer
    out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', errors='strict', write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', errors='backslashreplace', write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    sys.stdin, sys.stdout, sys.stderr, sys.argv = io.StringIO(''), out, err, ['aws', *argv]
    try:
        rc, tail = exit_status(awscli.clidriver.main())
    except SystemExit as e:  # argparse's usage errors end the process this way
        rc, tail = exit_status(e.code)
    except BaseException:  # what the interpreter prints for an uncaught exception
        rc, tail = 1, traceback.format_exc()
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    err.write(tail)
    return {
        'rc': rc,
        'stdout': out.buffer.getvalue().decode('utf-8', 'replace'),
        'stderr': err.buffer.getvalue().decode('utf-8', 'replace'),
    }


def main():
    # the answers get a stream of their own; anything else writing to fd 1 (a C library, a stray
    # print outside a command) lands on stderr instead of corrupting them
    answers = os.fdopen(os.dup(1), 'w', encoding='utf-8')
    os.dup2(2, 1)
    versions = {'awscli': awscli.__version__, 'botocore': botocore.__version__, 'python': platform.python_version()}
    answers.write(json.dumps(versions) + '\n')
    answers.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        answers.write(json.dumps(run(request['argv'], request['env'])) + '\n')
        answers.flush()


if __name__ == '__main__':
    main()
