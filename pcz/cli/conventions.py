"""zstd- and xz-style command lines, translated into pcz's subcommands before click parses them.

The subcommands stay the one way options are defined; this layer only rewrites the
command line, from the tables below (a new flag is a new table entry):

>>> flags = {"--output", "--threads", "--model"}          # the options that take a value
>>> translate(["notes.txt"], flags)
['compress', 'notes.txt']
>>> translate(["-dcf", "a.pcz"], flags)
['decompress', '--stdout', '--force', 'a.pcz']
>>> translate(["-T4", "-kq", "-o", "out.pcz", "-z", "in"], flags)
['compress', '--threads', '4', '--keep', '--quiet', '--output', 'out.pcz', 'in']
>>> translate(["-l", "a.pcz"], flags), translate(["-tv", "-c", "a.pcz"], flags)
(['info', 'a.pcz'], ['test', '--verbose', 'a.pcz'])
>>> translate(["-9", "-c", "--", "-d"], flags)            # -N is a level
['compress', '--level=9', '--stdout', '--', '-d']
>>> translate(["-9", "-d", "F"], flags)                   # ignored when decompressing, as by zstd
['decompress', 'F']
>>> translate(["compress", "-3", "F"], flags, ["compress"])
['compress', '--level=3', 'F']
>>> translate(["compress", "-d"], flags, {"compress"})          # a subcommand: untouched
['compress', '-d']
>>> translate(["-V"], flags), translate(["-h"], flags), translate(["-d", "-h"], flags)
(['--version'], ['--help'], ['decompress', '--help'])
"""
import re

# options that choose the subcommand; the last one given wins (as in zstd and xz)
MODES = {
    "-z": "compress", "--compress": "compress",
    "-d": "decompress", "--decompress": "decompress", "--uncompress": "decompress",
    "-t": "test", "--test": "test",
    "-l": "info", "--list": "info",
}
# short options -> the subcommands' long options (those that take a value read it from
# the rest of the cluster or the next argument: -T4, -T 4, -oFILE, -o FILE)
SHORT = {
    "c": "--stdout", "k": "--keep", "f": "--force", "q": "--quiet", "v": "--verbose",
    "r": "--recursive", "o": "--output", "T": "--threads", "h": "--help", "V": "--version",
}
# flags that mean nothing to a subcommand and that zstd accepts there: dropped
IGNORED = {
    "decompress": {"--level"},
    "test": {"--stdout", "--keep", "--force", "--level"},
    "info": {"--stdout", "--keep", "--force", "--quiet", "--level"},
}
DEFAULT = "compress"
# -1 ... -9 are compression levels: --level=N (the subcommand checks the range)
_DIGITS = re.compile(r"[0-9]+")
_LEVEL = re.compile(r"-[0-9]+")


def translate(argv: list[str], valued: set[str], commands=()) -> list[str]:
    """The subcommand form of a zstd-style command line (already such a form: unchanged).

    ``valued``: the long options that take a value; ``commands``: the subcommand names.
    """
    if argv and (argv[0] in commands or argv[0] in ("--help", "--version")):
        end = argv.index("--") if "--" in argv else len(argv)
        takes_value = valued | {"-" + s for s, long in SHORT.items() if long in valued}
        return [f"--level={t[1:]}" if i < end and _LEVEL.fullmatch(t) and argv[i - 1] not in takes_value else t
                for i, t in enumerate(argv)]
    mode, words, rest = None, [], []          # words: (token, is_a_flag)
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            rest = ["--", *argv[i:]]
            break
        if token.startswith("--"):
            name = token.split("=", 1)[0]
            if name in MODES:
                mode = MODES[name]
                continue
            words.append((token, True))
            if "=" not in token and name in valued and i < len(argv):
                words.append((argv[i], False))
                i += 1
        elif token.startswith("-") and len(token) > 1:
            mode, i = _cluster(token, argv, i, valued, words, mode)
        else:
            words.append((token, False))
    flags = {token for token, is_flag in words if is_flag}
    if "--version" in flags:
        return ["--version"]
    if "--help" in flags and mode is None:
        return ["--help"]
    command = mode or DEFAULT
    kept = [token for token, is_flag in words
            if not (is_flag and token.partition("=")[0] in IGNORED.get(command, ()))]
    return [command, *kept, *rest]


def _cluster(token: str, argv: list[str], i: int, valued: set[str], words: list, mode):
    """Expand one cluster of short options (-dcf, -T4, -oFILE); returns (mode, next index)."""
    j = 1
    while j < len(token):
        digits = _DIGITS.match(token, j)
        if digits:                                  # a level: -9 -> --level=9
            words.append(("--level=" + digits.group(), True))
            j = digits.end()
            continue
        flag = "-" + token[j]
        j += 1
        if flag in MODES:
            mode = MODES[flag]
            continue
        long = SHORT.get(token[j - 1])
        if long is None:
            words.append((flag, True))              # unknown: click reports it
        elif long in valued:
            value = token[j:]
            if not value and i < len(argv):
                value, i = argv[i], i + 1
            words.append((long, True))
            if value:
                words.append((value, False))
            break
        else:
            words.append((long, True))
    return mode, i


def valued_options(commands) -> set[str]:
    """The long option names of these click commands that take a value."""
    out = set()
    for command in commands:
        for param in command.params:
            if getattr(param, "is_flag", True) or getattr(param, "count", False):
                continue
            out.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    return out
