# gdb support for SolvraScript programs built with `solvrac build -g` (docs/DEBUGGING.md).
#
# Load it with `source runtime-lib/gdb/solvra.py` (or `gdb -x ...`). Every SolvraScript
# variable is a `SolvraValue` (a tag and a 64-bit payload); the pretty-printer shows it the way
# the program would print it, by calling the runtime's `solvra_dump` in the stopped program, so
# `print name` and `info locals` read `name = "world"` and `n = 42`. Calls between SolvraScript
# functions go through the runtime, so `bt` shows runtime frames between theirs; `svs-bt` lists
# only the SolvraScript frames, as a stack trace does. (It is a command, not a frame filter:
# gdb cannot run the pretty-printer's call into the program while a frame filter walks frames.)

import gdb

# What solvra_dump is, spelled out: the runtime library may carry no debug information.
DUMP = "((const char *(*)(const void *))solvra_dump)"


class SolvraValuePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        address = self.val.address
        if address is None:
            return "<value not in memory>"
        try:
            text = gdb.parse_and_eval("%s((const void *)%d)" % (DUMP, int(address)))
            return text.string()
        except gdb.error as e:
            return "<cannot read the value: %s>" % e

    def display_hint(self):
        return None


def lookup(val):
    t = val.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "SolvraValue":
        return SolvraValuePrinter(val)
    return None


gdb.pretty_printers.append(lookup)


class SolvraBacktrace(gdb.Command):
    """svs-bt: the SolvraScript frames of the stack, innermost first: `#N NAME at FILE:LINE`."""

    def __init__(self):
        super().__init__("svs-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        frame = gdb.newest_frame()
        n = 0
        while frame is not None:
            sal = frame.find_sal()
            if sal.symtab is not None and sal.symtab.filename.endswith(".svs"):
                gdb.write("#%d %s at %s:%d\n" % (n, frame.name(), sal.symtab.filename, sal.line))
            n += 1
            frame = frame.older()


SolvraBacktrace()
